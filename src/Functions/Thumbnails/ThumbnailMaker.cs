using NetVips;

namespace Seedream.Functions;

/// <summary>
/// Makes the view page's JPEG thumbnails with libvips. libvips decodes JPEG shrunk on load (at 1/2, 1/4 or 1/8 of the
/// size) and reads PNG line by line from the stream, so an image is never whole in memory, neither encoded nor decoded.
/// Chosen over SkiaSharp by the <c>thumbnails</c> benchmark (docs/benchmarks.md): half the peak memory on a 4K PNG,
/// and faster on both formats.
/// </summary>
public static class ThumbnailMaker
{
    /// <summary>The longest edge of a thumbnail: twice the view page's 240 px tiles, for high-density screens.</summary>
    public const int MaxEdge = 480;

    public const int JpegQuality = 80;

    public const string ContentType = "image/jpeg";

    private static readonly double[] s_white = [255, 255, 255];

    static ThumbnailMaker()
    {
        // Each image is thumbnailed once: libvips' operation cache would only keep decoded pixels alive.
        Cache.Max = 0;
        Cache.MaxMem = 0;
        Cache.MaxFiles = 0;

        // One worker thread per thumbnail: a quarter less peak memory on a 4K PNG than libvips' default of one per core,
        // at the same speed (docs/benchmarks.md); requests run side by side instead, up to ThumbnailStore's limit.
        NetVips.NetVips.Concurrency = 1;
    }

    /// <summary>
    /// Reads the image from <paramref name="source"/> (sequentially; it need not seek) and writes its thumbnail, at most
    /// <see cref="MaxEdge"/> pixels on its longer side and never enlarged, to <paramref name="destination"/> as JPEG.
    /// Blocking: libvips pulls from the stream on the calling thread.
    /// </summary>
    public static void Write(Stream source, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        using var thumbnail = Image.ThumbnailStream(source, MaxEdge, height: MaxEdge, size: Enums.Size.Down, failOn: Enums.FailOn.Error);
        using var opaque = thumbnail.HasAlpha() ? thumbnail.Flatten(background: s_white) : null;
        using var srgb = (opaque ?? thumbnail).Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Bw ? null : (opaque ?? thumbnail).Colourspace(Enums.Interpretation.Srgb);
        (srgb ?? opaque ?? thumbnail).JpegsaveStream(destination, q: JpegQuality, keep: Enums.ForeignKeep.None);
    }
}
