using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace SeedreamEmulator;

internal enum ImageFormat
{
    Jpeg,
    Png,
}

/// <summary>Everything that determines the bytes of an emulated image.</summary>
internal readonly record struct ImageKey(int Width, int Height, ImageFormat Format, ulong ContentSeed, bool Watermark, bool Noise);

internal static class ImageFormats
{
    public static string Extension(this ImageFormat format) => format == ImageFormat.Png ? "png" : "jpeg";

    public static string ContentType(this ImageFormat format) => format == ImageFormat.Png ? "image/png" : "image/jpeg";
}

/// <summary>Renders deterministic PNG/JPEG images: colour fields derived from a seed, or noise.</summary>
internal static class ImageRenderer
{
    /// <summary>Bytes served by the <c>not-an-image</c> fault: neither a PNG nor a JPEG signature.</summary>
    public static readonly byte[] NotAnImage = Encoding.ASCII.GetBytes("<html><body>This is not an image.</body></html>\n");

    public static byte[] Render(ImageKey key)
    {
        var info = new SKImageInfo(key.Width, key.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        if (key.Noise)
        {
            FillNoise(bitmap, key.ContentSeed);
        }

        using (var canvas = new SKCanvas(bitmap))
        {
            if (!key.Noise)
            {
                DrawColourFields(canvas, key);
            }

            if (key.Watermark)
            {
                DrawWatermark(canvas, key.Width, key.Height);
            }
        }

        using var pixmap = bitmap.PeekPixels() ?? throw new InvalidOperationException("The bitmap has no pixels.");
        using var data = key.Format == ImageFormat.Png
            ? pixmap.Encode(key.Noise
                ? new SKPngEncoderOptions(SKPngEncoderFilterFlags.NoFilters, 1)
                : new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 3))
            : pixmap.Encode(new SKJpegEncoderOptions(key.Noise ? 95 : 90));
        return data?.ToArray() ?? throw new InvalidOperationException($"Skia could not encode a {key.Width}x{key.Height} {key.Format} image.");
    }

    private static void FillNoise(SKBitmap bitmap, ulong seed)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bitmap.GetPixelSpan());
        var state = seed | 1;
        const ulong OpaqueAlpha = 0xFF000000_FF000000;
        for (var i = 0; i < words.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words[i] = state | OpaqueAlpha;
        }
    }

    private static void DrawColourFields(SKCanvas canvas, ImageKey key)
    {
        var random = new SeededRandom(key.ContentSeed);
        canvas.Clear(random.NextColour());
        using var paint = new SKPaint { IsAntialias = true };
        var bands = 4 + (int)(random.Next() % 4);
        for (var band = 0; band < bands; band++)
        {
            paint.Color = random.NextColour().WithAlpha(200);
            var left = random.NextFraction() * key.Width;
            var top = random.NextFraction() * key.Height;
            canvas.DrawRect(left, top, key.Width * (0.2f + random.NextFraction() * 0.6f), key.Height * (0.1f + random.NextFraction() * 0.3f), paint);
        }

        paint.Color = random.NextColour();
        var radius = Math.Min(key.Width, key.Height) * (0.1f + random.NextFraction() * 0.2f);
        canvas.DrawCircle(key.Width * random.NextFraction(), key.Height * random.NextFraction(), radius, paint);
    }

    /// <summary>The "AI generated" mark, bottom-right as the real service places it.</summary>
    private static void DrawWatermark(SKCanvas canvas, int width, int height)
    {
        var markHeight = Math.Max(8f, height * 0.05f);
        var markWidth = Math.Min(width * 0.4f, markHeight * 5f);
        var margin = Math.Max(2f, Math.Min(width, height) * 0.02f);
        var rect = SKRect.Create(width - markWidth - margin, height - markHeight - margin, markWidth, markHeight);
        using var fill = new SKPaint { Color = SKColors.White, IsAntialias = true };
        canvas.DrawRect(rect, fill);
        using var border = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1f, markHeight * 0.06f) };
        canvas.DrawRect(rect, border);
        using var font = new SKFont(SKTypeface.Default, markHeight * 0.55f);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText("AI generated", rect.MidX, rect.MidY + font.Size * 0.35f, SKTextAlign.Center, font, text);
    }

    private sealed class SeededRandom(ulong seed)
    {
        private ulong _state = seed | 1;

        public ulong Next()
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            return _state;
        }

        public float NextFraction() => (Next() >> 40) / (float)(1UL << 24);

        public SKColor NextColour()
        {
            var value = Next();
            return new SKColor((byte)value, (byte)(value >> 8), (byte)(value >> 16));
        }
    }
}
