using System.Text.Json;
using SkiaSharp;

namespace SeedreamEmulator.Tests;

internal static class ImageAssert
{
    /// <summary>Decodes <paramref name="bytes"/> fully and checks format and pixel size.</summary>
    public static SKBitmap Decodes(byte[] bytes, SKEncodedImageFormat format, int width, int height)
    {
        using (var codec = SKCodec.Create(new MemoryStream(bytes)))
        {
            Assert.NotNull(codec);
            Assert.Equal(format, codec.EncodedFormat);
        }

        var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        return bitmap;
    }

    public static (int Width, int Height) Size(JsonElement item)
    {
        var parts = item.GetProperty("size").GetString()!.Split('x');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Checks <c>usage</c> against the successful items: tokens = Σ(W·H)/256.</summary>
    public static void UsageMatches(JsonElement usage, IEnumerable<(int Width, int Height)> succeeded)
    {
        var sizes = succeeded.ToList();
        var tokens = sizes.Sum(size => (long)size.Width * size.Height) / 256;
        Assert.Equal(sizes.Count, usage.GetProperty("generated_images").GetInt32());
        Assert.Equal(tokens, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(tokens, usage.GetProperty("total_tokens").GetInt64());
    }

    public static bool IsPngOrJpeg(byte[] bytes) =>
        (bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G')
        || (bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF);
}
