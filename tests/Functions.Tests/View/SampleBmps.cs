using System.Buffers.Binary;

namespace Seedream.Functions.Tests;

/// <summary>A pixel as a BMP stores it before encoding: red, green, blue, alpha (alpha only in the alpha variant).</summary>
internal readonly record struct Rgba(byte R, byte G, byte B, byte A = 255);

/// <summary>
/// BMPs written byte by byte (libvips writes none) in each variant our reader takes, and headers of those it refuses.
/// </summary>
internal static class SampleBmps
{
    public const uint Rgb = 0, Rle8 = 1, Rle4 = 2, BitFields = 3, Jpeg = 4, Png = 5;

    /// <summary>Every variant <see cref="BmpThumbnailReader"/> decodes.</summary>
    public static readonly string[] Variants =
        ["rgb24", "rgb24-top-down", "rgb32", "rgb16", "bitfields16-565", "bitfields32-alpha-v5", "palette8", "palette4", "palette1-top-down", "palette8-v4-top-down"];

    public static TheoryData<string> VariantData() => [.. Variants];

    private static (int Bits, uint Compression, int InfoBytes, bool TopDown, uint[] Masks) Layout(string variant) => variant switch
    {
        "rgb24" => (24, Rgb, 40, false, []),
        "rgb24-top-down" => (24, Rgb, 40, true, []),
        "rgb32" => (32, Rgb, 40, false, []),
        "rgb16" => (16, Rgb, 40, false, []),
        "bitfields16-565" => (16, BitFields, 40, false, [0xF800, 0x07E0, 0x001F]),
        "bitfields32-alpha-v5" => (32, BitFields, 124, false, [0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000]),
        "palette8" => (8, Rgb, 40, false, []),
        "palette4" => (4, Rgb, 40, false, []),
        "palette1-top-down" => (1, Rgb, 40, true, []),
        "palette8-v4-top-down" => (8, Rgb, 108, true, []),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };

    /// <summary>Colours a variant's palette can hold: 2 for 1-bit pixels, 16 for 4-bit, otherwise as many as asked.</summary>
    public static int PaletteSize(string variant) => Layout(variant).Bits is var bits && bits <= 8 ? 1 << bits : int.MaxValue;

    /// <summary>What our reader must give for <paramref name="colour"/> in this variant: 16-bit fields rounded, alpha over white.</summary>
    public static (byte R, byte G, byte B) Expected(string variant, Rgba colour)
    {
        static byte Scale(int value, int max) => (byte)(((value * 255) + (max / 2)) / max);
        static byte Over(byte c, byte a) => (byte)(((c * a) + (255 * (255 - a)) + 127) / 255);
        return variant switch
        {
            "rgb16" => (Scale(colour.R >> 3, 31), Scale(colour.G >> 3, 31), Scale(colour.B >> 3, 31)),
            "bitfields16-565" => (Scale(colour.R >> 3, 31), Scale(colour.G >> 2, 63), Scale(colour.B >> 3, 31)),
            "bitfields32-alpha-v5" => (Over(colour.R, colour.A), Over(colour.G, colour.A), Over(colour.B, colour.A)),
            _ => (colour.R, colour.G, colour.B),
        };
    }

    /// <summary>A whole BMP of the variant with each pixel's colour from <paramref name="colour"/> (x, y from the top left).</summary>
    public static byte[] Write(string variant, int width, int height, Func<int, int, Rgba> colour)
    {
        var (bits, compression, infoBytes, topDown, masks) = Layout(variant);
        var stride = ((width * bits) + 31) / 32 * 4;
        var masksAfterHeader = compression == BitFields && infoBytes == 40 ? 12 : 0;
        var paletteOffset = 14 + infoBytes + masksAfterHeader;
        var pixelOffset = paletteOffset + (bits <= 8 ? (1 << bits) * 4 : 0);
        var bytes = new byte[pixelOffset + (stride * height)];
        WriteHeaders(bytes, infoBytes, width, topDown ? -height : height, bits, compression, pixelOffset);
        for (var i = 0; i < masks.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(54 + (i * 4)), masks[i]);
        }

        var palette = new List<Rgba>();
        for (var fileRow = 0; fileRow < height; fileRow++)
        {
            var y = topDown ? fileRow : height - 1 - fileRow;
            var row = bytes.AsSpan(pixelOffset + (fileRow * stride), stride);
            for (var x = 0; x < width; x++)
            {
                var c = colour(x, y);
                switch (bits)
                {
                    case 24:
                        (row[x * 3], row[(x * 3) + 1], row[(x * 3) + 2]) = (c.B, c.G, c.R);
                        break;
                    case 16:
                        var packed = compression == BitFields ? ((c.R >> 3) << 11) | ((c.G >> 2) << 5) | (c.B >> 3) : ((c.R >> 3) << 10) | ((c.G >> 3) << 5) | (c.B >> 3);
                        BinaryPrimitives.WriteUInt16LittleEndian(row[(x * 2)..], (ushort)packed);
                        break;
                    case 32:
                        // BI_RGB leaves the high byte 0: a reader taking it for alpha would make the image white.
                        var alpha = compression == BitFields ? (uint)c.A << 24 : 0;
                        BinaryPrimitives.WriteUInt32LittleEndian(row[(x * 4)..], alpha | ((uint)c.R << 16) | ((uint)c.G << 8) | c.B);
                        break;
                    default:
                        var index = palette.IndexOf(c);
                        if (index < 0)
                        {
                            index = palette.Count;
                            palette.Add(c);
                        }

                        row[x * bits / 8] |= (byte)(index << (8 - bits - (x * bits % 8)));
                        break;
                }
            }
        }

        if (palette.Count > (bits <= 8 ? 1 << bits : 0))
        {
            throw new ArgumentException($"{palette.Count} colours do not fit a {bits}-bit palette.", nameof(colour));
        }

        for (var i = 0; i < palette.Count; i++)
        {
            (bytes[paletteOffset + (i * 4)], bytes[paletteOffset + (i * 4) + 1], bytes[paletteOffset + (i * 4) + 2]) = (palette[i].B, palette[i].G, palette[i].R);
        }

        return bytes;
    }

    /// <summary>
    /// The headers alone (file header, info header of <paramref name="infoBytes"/>, no palette or rows) with the given
    /// facts: what the intake reads to refuse a variant.
    /// </summary>
    public static byte[] Header(int infoBytes, int bits, uint compression, int width, int height, int pixelOffset = -1, int planes = 1, uint coloursUsed = 0, uint[]? masks = null)
    {
        var bytes = new byte[14 + Math.Max(infoBytes, 40) + 16 + 1024];
        WriteHeaders(bytes, infoBytes, width, height, bits, compression, pixelOffset < 0 ? bytes.Length : pixelOffset);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), (short)planes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(46), coloursUsed);
        for (var i = 0; i < (masks?.Length ?? 0); i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(54 + (i * 4)), masks![i]);
        }

        return bytes;
    }

    /// <summary>An OS/2 1.x BMP header (12-byte core header: 16-bit width and height).</summary>
    public static byte[] Os2CoreHeader(int width, int height)
    {
        var bytes = new byte[14 + 12 + (256 * 3)];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 12);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(20), (ushort)height);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(22), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(24), 8);
        return bytes;
    }

    private static void WriteHeaders(byte[] bytes, int infoBytes, int width, int height, int bits, uint compression, int pixelOffset)
    {
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), pixelOffset);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), infoBytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), (short)bits);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(30), compression);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(38), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(42), 2835);
    }
}
