using Seedream.Functions.Storage;

namespace Seedream.Functions.Thumbnails;

/// <summary>
/// Our own limit on top of the provider's: what a thumbnail of an image may cost in memory, judged from its header
/// facts (<see cref="ImageHeader"/>). The intake refuses references over it, so every reference it accepts can be
/// thumbnailed; <see cref="ThumbnailStore"/> admits thumbnails by this cost, not by count.
/// Figures from the <c>thumbnail-memory</c> benchmark (docs/benchmarks.md).
/// </summary>
public static class ImageDecodeBudget
{
    /// <summary>The most one thumbnail may cost: the bound on the peak RSS rise of a thumbnail made alone.</summary>
    public const long MaxThumbnailBytes = 64L * 1024 * 1024;

    /// <summary>The most a decoder may hold whatever the thumbnail's size (see <see cref="ImageHeader.WholeDecodeBytes"/>).</summary>
    public const long MaxWholeDecodeBytes = 36L * 1024 * 1024;

    /// <summary>What any thumbnail costs besides its lines: libvips' buffers, the JPEG encoder, the thumbnail (measured: about 12 MB).</summary>
    public const long BaseBytes = 12L * 1024 * 1024;

    /// <summary>
    /// Full-width lines held while reading line by line (PNG, GIF, TIFF: measured about 600, whatever the shrink), and
    /// while shrinking on load (JPEG, WebP, HEIF: far fewer; BMP: one row, box-shrunk as read by <see cref="BmpThumbnailReader"/>).
    /// </summary>
    private const int SequentialLines = 640, ShrinkOnLoadLines = 64;

    /// <summary>The cost of all thumbnails made at once on an instance: two of the costliest, or more of the cheap ones.</summary>
    public const long InstanceBytes = 2 * MaxThumbnailBytes;

    /// <summary>The memory a thumbnail of this image is admitted with.</summary>
    public static long CostOf(ImageHeader image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var lines = image.Format is "png" or "gif" or "tiff" ? SequentialLines : ShrinkOnLoadLines;
        var lineBytes = (long)(image.Width ?? 0) * Math.Max(1, image.Channels) * (image.BitDepth > 8 ? 2 : 1) * lines;
        return BaseBytes + lineBytes + image.WholeDecodeBytes;
    }

    /// <summary>Why this image cannot be decoded within our budget; null when it can.</summary>
    public static string? Check(ImageHeader image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if ((image.Defect ?? image.Undecodable) is { } problem)
        {
            return problem;
        }

        if (image.WholeDecodeBytes > MaxWholeDecodeBytes)
        {
            var what = image.Format switch
            {
                "png" => $"an interlaced (Adam7) {image.BitDepth}-bit PNG",
                "jpeg" => $"a progressive {image.ColourSpace?.ToUpperInvariant()} JPEG",
                "gif" => "a GIF (decoded on a whole canvas)",
                "tiff" => "a TIFF with large strips or tiles",
                "webp" => "a lossless, animated or transparent WebP",
                _ => $"a {image.Format} image",
            };
            var advice = image.Format switch
            {
                "png" => " or not interlaced",
                "jpeg" => " or baseline (not progressive)",
                "webp" => " or lossy without animation",
                _ => "",
            };
            return $"The image is {image.Width}x{image.Height}, {what} that must be decoded whole: {image.WholeDecodeBytes / (1024 * 1024)} MB, more than the {MaxWholeDecodeBytes / (1024 * 1024)} MB we decode at once. Send it smaller{advice}.";
        }

        return CostOf(image) > MaxThumbnailBytes
            ? $"The image is {image.Width}x{image.Height} with {image.Channels} samples of {image.BitDepth} bits per pixel: decoding it would take about {CostOf(image) / (1024 * 1024)} MB, more than the {MaxThumbnailBytes / (1024 * 1024)} MB we allow one image. Send it narrower or with 8 bits per sample."
            : null;
    }
}
