using NetVips;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Thumbnails;

/// <summary>
/// Makes the view page's JPEG thumbnails with libvips, from an image whose header facts were judged first
/// (<see cref="ImageDecodeBudget"/>). JPEG, WebP and HEIF shrink on load; BMP (no libvips loader) is box-shrunk row by
/// row by our own reader; PNG, GIF and TIFF are read line by line (sequential access), brought to 8-bit and flattened point by point, box-shrunk by an integer factor and only then
/// resized, so that no full-size buffer of floats exists (libvips' thumbnail premultiplies in float: 69 MB for a 16-bit
/// RGBA PNG of 6000×6000, against 40 MB this way; docs/benchmarks.md). A file that ends before its format's end marker
/// gives no thumbnail, never a partial one.
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
        // at the same speed (docs/benchmarks.md); requests run side by side instead, within ThumbnailStore's budget.
        NetVips.NetVips.Concurrency = 1;
    }

    /// <summary>
    /// Reads the header facts from the first bytes of <paramref name="source"/>, then makes the thumbnail as
    /// <see cref="Write(ImageHeader, Stream, Stream)"/> does. For a stored image, whose facts are all at its start.
    /// </summary>
    /// <exception cref="ThumbnailException">The bytes are no image we take, or cannot be thumbnailed.</exception>
    public static void Write(Stream source, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        var header = new byte[ImageHeader.HeaderBytes];
        var length = source.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        var image = ImageHeader.Inspect(header.AsSpan(0, length)) ?? throw new ThumbnailException($"The bytes are no image format we take ({ReferenceImageRules.Formats}).");
        Write(image, new ImageStore.PrefixedStream(header.AsMemory(0, length), source), destination);
    }

    /// <summary>
    /// Reads <paramref name="image"/> from <paramref name="source"/> (sequentially; it need not seek) and writes its
    /// thumbnail, at most <see cref="MaxEdge"/> pixels on its longer side and never enlarged, to
    /// <paramref name="destination"/> as JPEG. Blocking: libvips pulls from the stream on the calling thread.
    /// </summary>
    /// <exception cref="ThumbnailException">The image cannot be decoded, is truncated, or is over the budget.</exception>
    public static void Write(ImageHeader image, Stream source, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (ImageDecodeBudget.Check(image) is { } problem)
        {
            throw new ThumbnailException(problem);
        }

        var ending = ImageEnding.For(image.Format) is { } end ? new ImageEndingStream(source, end) : null;
        var owned = new List<Image>();
        try
        {
            var thumbnail = image.Format == "bmp" ? ShrinkBmp(image, source, owned)
                : image.Format is "png" or "gif" or "tiff" ? ShrinkSequentially(ending ?? source, owned)
                : Own(owned, Image.ThumbnailStream(ending ?? source, MaxEdge, height: MaxEdge, size: Enums.Size.Down, failOn: Enums.FailOn.Error));
            using (var encoded = new MemoryStream())
            {
                Encode(thumbnail, encoded);
                // libvips fills what a truncated file lacks: only a file that reached its end marker gives a thumbnail.
                if (ending is not null && !ending.ReachedEnd())
                {
                    throw new ThumbnailException($"The {image.Format} image is truncated: it ends before its end marker.");
                }

                encoded.Position = 0;
                encoded.CopyTo(destination);
            }
        }
        catch (VipsException e) when (ending is not null && !ending.ReachedEnd())
        {
            throw new ThumbnailException($"The {image.Format} image is truncated: it ends before its end marker.", e);
        }
        catch (VipsException e)
        {
            throw new ThumbnailException($"The {image.Format} image cannot be decoded: {LogText.Cut(e.Message.Trim(), 300)}", e);
        }
        finally
        {
            foreach (var step in owned)
            {
                step.Dispose();
            }

            NativeHeap.Trim();
        }
    }

    /// <summary>
    /// Load, 16 → 8 bits, flatten, shrink, resize: every step's image goes into <paramref name="owned"/>, disposed by the
    /// caller. An intermediate left to the finalizer keeps the decoded pixels upstream of it alive (an interlaced PNG's
    /// whole buffer) until a GC happens to run.
    /// </summary>
    private static Image ShrinkSequentially(Stream source, List<Image> owned)
    {
        Image Own(Image image) => ThumbnailMaker.Own(owned, image);

        var image = Own(Image.NewFromStream(source, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error));
        if (image.Format == Enums.BandFormat.Ushort)
        {
            // 16 → 8 bits by a shift: an integer point operation, where libvips' colourspace would go through float.
            var interpretation = image.Bands >= 3 ? Enums.Interpretation.Srgb : Enums.Interpretation.Bw;
            image = Own(Own(Own(image >> 8).Cast(Enums.BandFormat.Uchar)).Copy(interpretation: interpretation));
        }

        if (image.HasAlpha())
        {
            image = Own(Own(image.Flatten(background: Enumerable.Repeat(255.0, image.Bands - 1).ToArray())).Cast(Enums.BandFormat.Uchar));
        }

        var factor = (int)Math.Floor(Math.Max(image.Width, image.Height) / (double)MaxEdge);
        if (factor > 1)
        {
            // Across first: the lines the vertical shrink then buffers are already narrow.
            image = Own(Own(image.Shrinkh(factor)).Shrinkv(factor));
        }

        return Own(image.ThumbnailImage(MaxEdge, height: MaxEdge, size: Enums.Size.Down));
    }

    /// <summary>
    /// libvips has no BMP loader: our own reader box-shrinks the rows as they stream in (<see cref="BmpThumbnailReader"/>),
    /// and libvips only resizes the small result.
    /// </summary>
    private static Image ShrinkBmp(ImageHeader image, Stream source, List<Image> owned)
    {
        var shrunk = BmpThumbnailReader.Read(image, source, MaxEdge);
        var rgb = Own(owned, Own(owned, Image.NewFromMemory(shrunk.Pixels, shrunk.Width, shrunk.Height, 3, Enums.BandFormat.Uchar)).Copy(interpretation: Enums.Interpretation.Srgb));
        return Own(owned, rgb.ThumbnailImage(MaxEdge, height: MaxEdge, size: Enums.Size.Down));
    }

    private static Image Own(List<Image> owned, Image image)
    {
        owned.Add(image);
        return image;
    }

    private static void Encode(Image thumbnail, Stream destination)
    {
        using var opaque = thumbnail.HasAlpha() ? thumbnail.Flatten(background: s_white) : null;
        using var srgb = (opaque ?? thumbnail).Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Bw ? null : (opaque ?? thumbnail).Colourspace(Enums.Interpretation.Srgb);
        (srgb ?? opaque ?? thumbnail).JpegsaveStream(destination, q: JpegQuality, keep: Enums.ForeignKeep.None);
    }
}
