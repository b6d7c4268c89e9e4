namespace Seedream.Functions;

/// <summary>
/// Our own limit on top of the provider's: what a thumbnail of an image may cost in memory, judged from its header
/// facts (<see cref="ImageHeader"/>). The intake refuses references over it, so every reference it accepts can be
/// thumbnailed; <see cref="ThumbnailStore"/> admits thumbnails by this cost, not by count.
/// Figures from the <c>thumbnail-memory</c> benchmark (docs/benchmarks.md).
/// </summary>
public static class ImageDecodeBudget
{
    /// <summary>The most a decoder may hold whatever the thumbnail's size (see <see cref="ImageHeader.WholeDecodeBytes"/>).</summary>
    public const long MaxWholeDecodeBytes = 36L * 1024 * 1024;

    /// <summary>What any thumbnail costs besides: libvips' line buffers, the shrink, the JPEG encoder (measured: at most about 28 MB).</summary>
    public const long StreamingBytes = 28L * 1024 * 1024;

    /// <summary>The cost of all thumbnails made at once on an instance: two of the costliest, or more of the cheap ones.</summary>
    public const long InstanceBytes = 2 * (MaxWholeDecodeBytes + StreamingBytes);

    /// <summary>The memory a thumbnail of this image is admitted with.</summary>
    public static long CostOf(ImageHeader image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return StreamingBytes + image.WholeDecodeBytes;
    }

    /// <summary>Why this image cannot be decoded within our budget; null when it can.</summary>
    public static string? Check(ImageHeader image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Defect is { } defect)
        {
            return defect;
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
            return $"The image is {image.Width}x{image.Height}, {what} that must be decoded whole: {image.WholeDecodeBytes / (1024 * 1024)} MB, more than the {MaxWholeDecodeBytes / (1024 * 1024)} MB we decode at once. Send it smaller, baseline (JPEG) or non-interlaced (PNG).";
        }

        return null;
    }
}
