using System.Buffers.Binary;
using System.Numerics;

namespace Seedream.Functions.Storage;

/// <summary>
/// A BMP's file and info headers, masks and palette: its size, row order, bit count and compression, and whether our
/// own decoder (<see cref="BmpThumbnailReader"/>; libvips has no BMP loader) can read it. It reads uncompressed
/// palette (1, 4, 8-bit), 16-, 24- and 32-bit pixels, with bit fields, rows top-down or bottom-up, behind a Windows
/// info header (40 bytes) or its V2–V5 successors; anything else is <see cref="ImageHeader.Undecodable"/>, refused at intake.
/// </summary>
internal static class BmpHeaderReader
{
    private const int FileHeaderBytes = 14;
    private const uint Rgb = 0, Rle8 = 1, Rle4 = 2, BitFields = 3, Jpeg = 4, Png = 5;

    private static readonly int[] s_infoHeaderSizes = [40, 52, 56, 108, 124];

    public static ImageHeader Read(ReadOnlySpan<byte> bmp)
    {
        var infoBytes = BinaryPrimitives.ReadInt32LittleEndian(bmp[14..]);
        if (infoBytes == 12)
        {
            return Refused(BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]), BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]),
                "The BMP has an OS/2 core header (12 bytes); we decode BMPs with a Windows info header (40 bytes, or V2 to V5). Send it as a Windows BMP, PNG or JPEG.");
        }

        if (!s_infoHeaderSizes.Contains(infoBytes))
        {
            return Refused(null, null, $"The BMP's info header is {infoBytes} bytes, no Windows BMP header (40, 52, 56, 108 or 124 bytes). Send it as a Windows BMP, PNG or JPEG.");
        }

        if (bmp.Length < FileHeaderBytes + Math.Min(infoBytes, 40))
        {
            return Refused(null, null, "The BMP ends within its headers (truncated file).");
        }

        var width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
        var signedHeight = BinaryPrimitives.ReadInt32LittleEndian(bmp[22..]);
        var height = signedHeight == int.MinValue ? int.MaxValue : Math.Abs(signedHeight);
        var planes = BinaryPrimitives.ReadUInt16LittleEndian(bmp[26..]);
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
        var compression = BinaryPrimitives.ReadUInt32LittleEndian(bmp[30..]);
        var coloursUsed = BinaryPrimitives.ReadUInt32LittleEndian(bmp[46..]);
        var pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        int? reportedWidth = width, reportedHeight = height;

        var problem = compression switch
        {
            Rle8 or Rle4 => $"The BMP is run-length encoded ({(compression == Rle8 ? "BI_RLE8" : "BI_RLE4")}); we decode uncompressed BMPs only. Send it uncompressed, or as PNG.",
            Jpeg or Png => $"The BMP carries a {(compression == Jpeg ? "JPEG" : "PNG")} inside (BI_{(compression == Jpeg ? "JPEG" : "PNG")}); send that {(compression == Jpeg ? "JPEG" : "PNG")} itself.",
            not (Rgb or BitFields) => $"The BMP uses compression {compression}; we decode uncompressed (BI_RGB) and bit-field (BI_BITFIELDS) BMPs only. Send it uncompressed, or as PNG.",
            BitFields when bits is not (16 or 32) => $"The BMP has bit fields (BI_BITFIELDS) on {bits}-bit pixels; bit fields take 16 or 32 bits.",
            Rgb when bits is not (1 or 4 or 8 or 16 or 24 or 32) => $"The BMP has {bits} bits per pixel; a BMP has 1, 4, 8, 16, 24 or 32.",
            _ when planes != 1 => $"The BMP declares {planes} colour planes; a BMP has 1.",
            _ when width <= 0 || signedHeight == 0 || signedHeight == int.MinValue => $"The BMP declares {width}x{signedHeight} pixels; its width must be positive and its height not zero.",
            _ => null,
        };
        if (problem is not null)
        {
            return Refused(reportedWidth, reportedHeight, problem);
        }

        // Masks follow a 40-byte header (BI_BITFIELDS), or are part of a V2+ header; BI_RGB has fixed ones.
        var masksEnd = FileHeaderBytes + infoBytes + (compression == BitFields && infoBytes == 40 ? 12 : 0);
        uint[] masks = [];
        if (compression == BitFields)
        {
            if (bmp.Length < Math.Max(masksEnd, FileHeaderBytes + 52))
            {
                return Refused(reportedWidth, reportedHeight, "The BMP ends within its bit-field masks (truncated file).");
            }

            var alpha = infoBytes >= 56 ? BinaryPrimitives.ReadUInt32LittleEndian(bmp[66..]) : 0;
            masks = [BinaryPrimitives.ReadUInt32LittleEndian(bmp[54..]), BinaryPrimitives.ReadUInt32LittleEndian(bmp[58..]), BinaryPrimitives.ReadUInt32LittleEndian(bmp[62..]), alpha];
            if (MaskProblem(masks, bits) is { } maskProblem)
            {
                return Refused(reportedWidth, reportedHeight, maskProblem);
            }
        }
        else if (bits == 16)
        {
            masks = [0x7C00, 0x03E0, 0x001F, 0];
        }
        else if (bits == 32)
        {
            // BI_RGB 32-bit: the high byte is unused, not alpha.
            masks = [0x00FF0000, 0x0000FF00, 0x000000FF, 0];
        }

        var palette = Array.Empty<byte>();
        var paletteEnd = masksEnd;
        if (bits <= 8)
        {
            var entries = coloursUsed == 0 ? 1u << bits : coloursUsed;
            if (entries > 1u << bits)
            {
                return Refused(reportedWidth, reportedHeight, $"The BMP declares a palette of {coloursUsed} colours for {bits}-bit pixels, more than {1 << bits}.");
            }

            paletteEnd = masksEnd + ((int)entries * 4);
            if (bmp.Length < paletteEnd)
            {
                return Refused(reportedWidth, reportedHeight, "The BMP ends within its palette (truncated file).");
            }

            palette = new byte[(1 << bits) * 3];
            for (var i = 0; i < entries; i++)
            {
                var entry = bmp[(masksEnd + (i * 4))..];
                (palette[i * 3], palette[(i * 3) + 1], palette[(i * 3) + 2]) = (entry[2], entry[1], entry[0]);
            }
        }

        if (pixelOffset < paletteEnd)
        {
            return Refused(reportedWidth, reportedHeight, $"The BMP's pixels start at byte {pixelOffset}, inside its headers (which end at byte {paletteEnd}).");
        }

        var stride = (((long)width * bits) + 31) / 32 * 4;
        var hasAlpha = masks.Length == 4 && masks[3] != 0;
        return new ImageHeader("bmp", width, height)
        {
            Channels = hasAlpha ? 4 : 3,
            ColourSpace = bits <= 8 ? "palette" : "rgb",
            Bmp = new BmpLayout(pixelOffset, stride, signedHeight < 0, bits, palette, masks, pixelOffset + (stride * height)),
        };
    }

    private static ImageHeader Refused(int? width, int? height, string reason) => new("bmp", width, height) { Undecodable = reason };

    /// <summary>Each colour mask must be one run of set bits within the pixel, none overlapping; alpha may be absent.</summary>
    private static string? MaskProblem(uint[] masks, int bits)
    {
        var pixel = bits == 32 ? uint.MaxValue : (1u << bits) - 1;
        var seen = 0u;
        for (var i = 0; i < masks.Length; i++)
        {
            var mask = masks[i];
            if (mask == 0 && i == 3)
            {
                continue;
            }

            var contiguous = mask != 0 && BitOperations.PopCount(mask) == 32 - BitOperations.LeadingZeroCount(mask) - BitOperations.TrailingZeroCount(mask);
            if (!contiguous || (mask & ~pixel) != 0 || (mask & seen) != 0)
            {
                return $"The BMP's bit-field masks (red {masks[0]:X8}, green {masks[1]:X8}, blue {masks[2]:X8}, alpha {masks[3]:X8}) are not separate runs of bits within its {bits}-bit pixels.";
            }

            seen |= mask;
        }

        return null;
    }
}
