using System.Buffers.Binary;
using System.Text;

namespace Seedream.Functions;

/// <summary>An image's format and pixel size, read from the first bytes of the file: inbox references and stored results alike.</summary>
/// <param name="Format">The <c>data:image/&lt;format&gt;</c> name: png, jpeg, webp, bmp, tiff, gif, heic or heif.</param>
/// <param name="Width">Null when the header bytes do not reveal the size.</param>
public sealed record ImageHeader(string Format, int? Width, int? Height)
{
    /// <summary>Enough of a file to reach the size fields of every format, including JPEGs with a large EXIF block.</summary>
    public const int HeaderBytes = 128 * 1024;

    private const long MaxPixels = 6000L * 6000;
    private const int MinSide = 15;

    public string ContentType => $"image/{Format}";

    /// <summary>The format and size from a file's signature; null when it is no image format Seedream takes.</summary>
    public static ImageHeader? Inspect(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return header.Length >= 24 ? new("png", BinaryPrimitives.ReadInt32BigEndian(header[16..]), BinaryPrimitives.ReadInt32BigEndian(header[20..])) : new("png", null, null);
        }

        if (header.StartsWith([(byte)0xFF, (byte)0xD8, (byte)0xFF]))
        {
            return Jpeg(header);
        }

        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8))
        {
            return header.Length >= 10 ? new("gif", BinaryPrimitives.ReadUInt16LittleEndian(header[6..]), BinaryPrimitives.ReadUInt16LittleEndian(header[8..])) : new("gif", null, null);
        }

        if (header.StartsWith("BM"u8) && header.Length >= 26)
        {
            return new("bmp", Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(header[18..])), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(header[22..])));
        }

        if (header.Length >= 16 && header.StartsWith("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8))
        {
            return WebP(header);
        }

        if (header.StartsWith("II*\0"u8) || header.StartsWith("MM\0*"u8))
        {
            return Tiff(header);
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
            if (isStartOfFrame && position + 9 <= header.Length)
            {
                return new("jpeg", BinaryPrimitives.ReadUInt16BigEndian(header[(position + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(header[(position + 5)..]));
            }

            position += 2 + length;
        }

        return new("jpeg", null, null);
    }

    private static ImageHeader WebP(ReadOnlySpan<byte> header)
    {
        var chunk = header[12..16];
        if (chunk.SequenceEqual("VP8 "u8) && header.Length >= 30)
        {
            return new("webp", BinaryPrimitives.ReadUInt16LittleEndian(header[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(header[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8) && header.Length >= 25)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(header[21..]);
            return new("webp", (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8) && header.Length >= 30)
        {
            return new("webp", ReadUInt24(header[24..]) + 1, ReadUInt24(header[27..]) + 1);
        }

        return new("webp", null, null);
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    private static ImageHeader Tiff(ReadOnlySpan<byte> header)
    {
        var littleEndian = header[0] == (byte)'I';
        int? width = null, height = null;
        if (header.Length >= 8 && ReadUInt32(header, 4, littleEndian) is var directory && directory + 2 <= header.Length)
        {
            var entries = ReadUInt16(header, (int)directory, littleEndian);
            for (var i = 0; i < entries; i++)
            {
                var entry = (int)directory + 2 + (i * 12);
                if (entry + 12 > header.Length)
                {
                    break;
                }

                var tag = ReadUInt16(header, entry, littleEndian);
                // Type 3 is SHORT (value in the first two bytes of the field), 4 is LONG.
                var value = ReadUInt16(header, entry + 2, littleEndian) == 3 ? ReadUInt16(header, entry + 8, littleEndian) : (int)ReadUInt32(header, entry + 8, littleEndian);
                if (tag == 256)
                {
                    width = value;
                }
                else if (tag == 257)
                {
                    height = value;
                }
            }
        }

        return new("tiff", width, height);
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> bytes, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[offset..]);

    private static ushort ReadUInt16(ReadOnlySpan<byte> bytes, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]);

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

        // The image spatial extents property ("ispe": version/flags, width, height) gives the pixel size.
        var spatialExtents = header.IndexOf("ispe"u8);
        return spatialExtents >= 0 && spatialExtents + 16 <= header.Length
            ? new(format, BinaryPrimitives.ReadInt32BigEndian(header[(spatialExtents + 8)..]), BinaryPrimitives.ReadInt32BigEndian(header[(spatialExtents + 12)..]))
            : new(format, null, null);
    }
}
