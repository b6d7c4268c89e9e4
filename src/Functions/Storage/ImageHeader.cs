using System.Buffers.Binary;
using System.Text;

namespace Seedream.Functions.Storage;

/// <summary>
/// An image's header facts, read from the bytes of the file without decoding pixels: inbox references, data URIs,
/// reference URLs, stored results and thumbnails all read them here, so that the intake and the thumbnailer judge the
/// same facts (<see cref="ImageDecodeBudget"/>).
/// </summary>
/// <param name="Format">The <c>data:image/&lt;format&gt;</c> name: png, jpeg, webp, bmp, tiff, gif, heic or heif.</param>
/// <param name="Width">The largest frame's or page's width; null when the header bytes do not reveal the size.</param>
/// <param name="Height">The largest frame's or page's height.</param>
public sealed record ImageHeader(string Format, int? Width, int? Height)
{
    /// <summary>Enough of a file to reach the size fields of every format, including JPEGs with a large EXIF block.</summary>
    public const int HeaderBytes = 128 * 1024;

    private const long MaxPixels = 6000L * 6000;
    private const int MinSide = 15;

    /// <summary>Frames (GIF) or pages (TIFF) seen; 1 for the other formats.</summary>
    public int Frames { get; init; } = 1;

    /// <summary>Bits per sample (8 or 16 for PNG, 8 or 12 for JPEG); 8 where the format does not say.</summary>
    public int BitDepth { get; init; } = 8;

    /// <summary>Samples per pixel as decoded (4 for RGBA or CMYK, 3 for RGB or YCbCr, 1 for grey or a palette index).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Adam7 PNG, progressive JPEG, interlaced GIF: formats whose decoders then hold the whole image.</summary>
    public bool Interlaced { get; init; }

    /// <summary>rgb, grey, cmyk, ycbcr, palette; null where the header does not say.</summary>
    public string? ColourSpace { get; init; }

    /// <summary>
    /// Bytes the decoder must hold whatever the thumbnail's size (a progressive JPEG's coefficients, an interlaced PNG,
    /// a GIF canvas, a TIFF strip or row of tiles, a lossless WebP); 0 for line-by-line or shrink-on-load decoding.
    /// </summary>
    public long WholeDecodeBytes { get; init; }

    /// <summary>A structural defect decoders disagree on (a GIF frame outside its screen, a TIFF tag given twice); null when none.</summary>
    public string? Defect { get; init; }

    /// <summary>
    /// Why our decoder cannot read this image at all (a BMP variant it does not take: RLE, an embedded JPEG or PNG, an
    /// OS/2 header, odd masks), so the intake refuses it; null when it can.
    /// </summary>
    public string? Undecodable { get; init; }

    /// <summary>A BMP's pixel layout, for our own BMP decoder; null for the other formats and for BMPs it cannot read.</summary>
    public BmpLayout? Bmp { get; init; }

    /// <summary>False when the facts stop at the bytes given (GIF frames or TIFF pages beyond them were not seen).</summary>
    public bool Complete { get; init; } = true;

    public string ContentType => $"image/{Format}";

    /// <summary>Formats whose facts are spread through the file (GIF frames, TIFF directories): read whole, not only the first bytes.</summary>
    public static bool FactsNeedWholeFile(string format) => format is "gif" or "tiff";

    /// <summary>The header facts from a file's bytes; null when it is no image format Seedream takes.</summary>
    public static ImageHeader? Inspect(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png(header);
        }

        if (header.StartsWith([(byte)0xFF, (byte)0xD8, (byte)0xFF]))
        {
            return Jpeg(header);
        }

        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8))
        {
            return header.Length >= 10 ? GifHeaderReader.Read(header) : new("gif", null, null) { Complete = false };
        }

        if (header.StartsWith("BM"u8) && header.Length >= 26)
        {
            return BmpHeaderReader.Read(header);
        }

        if (header.Length >= 16 && header.StartsWith("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8))
        {
            return WebP(header);
        }

        if (header.StartsWith("II*\0"u8) || header.StartsWith("MM\0*"u8))
        {
            return TiffHeaderReader.Read(header);
        }

        if (header.Length >= 12 && header[4..8].SequenceEqual("ftyp"u8))
        {
            return Heif(header);
        }

        return null;
    }

    /// <summary>Why Seedream would refuse this image as a reference for <paramref name="model"/> (contract §3.2); null when it is within the limits.</summary>
    public string? CheckLimits(long bytes, string? model)
    {
        var capabilities = model is null ? null : SeedreamModelCapabilities.Find(model);
        var formats = capabilities?.ReferenceImageFormats ?? ["jpeg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif"];
        if (!formats.Contains(Format, StringComparer.Ordinal))
        {
            return $"The image format {Format} is not supported by {model}; supported formats: {string.Join(", ", formats)}.";
        }

        var maxBytes = capabilities?.MaxReferenceImageBytes ?? 30L * 1024 * 1024;
        if (bytes > maxBytes)
        {
            return $"The image has {bytes} bytes; reference images can have at most {maxBytes / (1024 * 1024)} MB.";
        }

        if (Width is not int width || Height is not int height)
        {
            return null;
        }

        if (width < MinSide || height < MinSide)
        {
            return $"The image is {width}x{height}; both sides must be longer than 14 pixels.";
        }

        if ((long)width * height > MaxPixels)
        {
            return $"The image is {width}x{height} = {(long)width * height} pixels; reference images can have at most {MaxPixels} pixels.";
        }

        // SeedEdit takes ratios up to 3, the other models up to 16 (contract §3.2).
        var maxRatio = capabilities?.Family == "doubao-seededit-3-0-i2i" ? 3.0 : 16.0;
        var ratio = (double)width / height;
        return ratio > maxRatio || ratio < 1 / maxRatio
            ? $"The image is {width}x{height}; its aspect ratio must be between 1:{maxRatio} and {maxRatio}:1."
            : null;
    }

    private static ImageHeader Png(ReadOnlySpan<byte> header)
    {
        if (header.Length < 29)
        {
            return new("png", null, null);
        }

        var width = BinaryPrimitives.ReadInt32BigEndian(header[16..]);
        var height = BinaryPrimitives.ReadInt32BigEndian(header[20..]);
        var bitDepth = header[24];
        var (channels, colourSpace) = header[25] switch
        {
            0 => (1, "grey"),
            2 => (3, "rgb"),
            3 => (4, "palette"), // libvips expands a palette to RGB(A)
            4 => (2, "grey"),
            _ => (4, "rgb"),
        };
        var interlaced = header[28] == 1;
        var samples = bitDepth > 8 ? 2 : 1;
        return new("png", width, height)
        {
            BitDepth = bitDepth,
            Channels = channels,
            ColourSpace = colourSpace,
            Interlaced = interlaced,
            // Adam7 is decoded whole: libspng cannot hand out finished rows before the last pass.
            WholeDecodeBytes = interlaced ? (long)width * height * channels * samples : 0,
        };
    }

    private static ImageHeader Jpeg(ReadOnlySpan<byte> header)
    {
        var position = 2;
        while (position + 4 <= header.Length)
        {
            if (header[position] != 0xFF)
            {
                break;
            }

            var marker = header[position + 1];
            if (marker == 0xFF)
            {
                position++;
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD9))
            {
                position += 2;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(header[(position + 2)..]);
            var isStartOfFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isStartOfFrame && position + 10 <= header.Length)
            {
                return JpegFrame(header[(position + 4)..], progressive: marker is 0xC2 or 0xC6 or 0xCA or 0xCE);
            }

            position += 2 + length;
        }

        return new("jpeg", null, null);
    }

    private static ImageHeader JpegFrame(ReadOnlySpan<byte> frame, bool progressive)
    {
        int height = BinaryPrimitives.ReadUInt16BigEndian(frame[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(frame[3..]);
        var components = frame[5];
        // A progressive JPEG keeps every DCT coefficient (2 bytes each) of every component until the last scan,
        // subsampled components at their own resolution; shrink-on-load does not reduce that.
        int maxH = 1, maxV = 1;
        var sampling = new List<(int H, int V)>();
        for (var i = 0; i < components && 6 + (i * 3) + 1 < frame.Length; i++)
        {
            var factors = frame[6 + (i * 3) + 1];
            var (h, v) = (Math.Max(1, factors >> 4), Math.Max(1, factors & 0x0F));
            sampling.Add((h, v));
            (maxH, maxV) = (Math.Max(maxH, h), Math.Max(maxV, v));
        }

        var coefficients = sampling.Sum(s => (long)RoundUp8(width * s.H / maxH) * RoundUp8(height * s.V / maxV) * 2);
        return new("jpeg", width, height)
        {
            BitDepth = frame[0],
            Channels = components,
            ColourSpace = components switch { 1 => "grey", 4 => "cmyk", _ => "ycbcr" },
            Interlaced = progressive,
            WholeDecodeBytes = progressive ? coefficients : 0,
        };
    }

    private static long RoundUp8(int value) => (value + 7L) / 8 * 8;

    private static ImageHeader WebP(ReadOnlySpan<byte> header)
    {
        var chunk = header[12..16];
        if (chunk.SequenceEqual("VP8 "u8) && header.Length >= 30)
        {
            // Lossy WebP decodes scaled, row by row.
            return new("webp", BinaryPrimitives.ReadUInt16LittleEndian(header[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(header[28..]) & 0x3FFF) { ColourSpace = "ycbcr" };
        }

        if (chunk.SequenceEqual("VP8L"u8) && header.Length >= 25)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(header[21..]);
            var (width, height) = ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
            // Lossless WebP is decoded into a whole ARGB plane before any scaling.
            return new("webp", width, height) { Channels = 4, ColourSpace = "rgb", WholeDecodeBytes = (long)width * height * 4 };
        }

        if (chunk.SequenceEqual("VP8X"u8) && header.Length >= 30)
        {
            var (width, height) = (ReadUInt24(header[24..]) + 1, ReadUInt24(header[27..]) + 1);
            var flags = header[20];
            var animated = (flags & 0x02) != 0;
            var lossless = header.IndexOf("VP8L"u8) >= 0;
            // Animation composes on a whole canvas; an alpha plane of a lossy image is decoded whole.
            long whole = animated ? (long)width * height * 4 * 2 : lossless ? (long)width * height * 4 : (flags & 0x10) != 0 ? (long)width * height : 0;
            return new("webp", width, height)
            {
                Frames = animated ? 2 : 1,
                Channels = (flags & 0x10) != 0 ? 4 : 3,
                ColourSpace = "rgb",
                WholeDecodeBytes = whole,
            };
        }

        return new("webp", null, null);
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    private static ImageHeader? Heif(ReadOnlySpan<byte> header)
    {
        var brand = Encoding.ASCII.GetString(header[8..12]);
        var format = brand switch
        {
            "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "hevm" or "hevs" => "heic",
            "mif1" or "msf1" => "heif",
            _ => null,
        };
        if (format is null)
        {
            return null;
        }

        // The image spatial extents property ("ispe": version/flags, width, height) gives the pixel size; libheif
        // decodes the whole image before libvips can shrink it.
        var spatialExtents = header.IndexOf("ispe"u8);
        if (spatialExtents < 0 || spatialExtents + 16 > header.Length)
        {
            return new(format, null, null);
        }

        var width = BinaryPrimitives.ReadInt32BigEndian(header[(spatialExtents + 8)..]);
        var height = BinaryPrimitives.ReadInt32BigEndian(header[(spatialExtents + 12)..]);
        return new(format, width, height) { ColourSpace = "ycbcr", WholeDecodeBytes = (long)width * height * 4 };
    }
}
