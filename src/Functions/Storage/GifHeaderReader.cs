using System.Buffers.Binary;

namespace Seedream.Functions.Storage;

/// <summary>
/// A GIF's logical screen and every frame it can reach, block by block, without decoding: a frame that reaches beyond
/// the screen is a defect (libvips grows its canvas to the frame, up to 65535² pixels, while the screen says less).
/// </summary>
internal static class GifHeaderReader
{
    private const int MaxFrames = 100_000;

    public static ImageHeader Read(ReadOnlySpan<byte> gif)
    {
        int width = BinaryPrimitives.ReadUInt16LittleEndian(gif[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(gif[8..]);
        if (gif.Length < 13)
        {
            return new("gif", width, height) { Channels = 4, ColourSpace = "palette", Complete = false, WholeDecodeBytes = (long)width * height * 4 };
        }

        var position = 13 + ColourTableBytes(gif[10]);
        var frames = 0;
        var interlaced = false;
        string? defect = null;
        var complete = false;
        while (position < gif.Length && frames < MaxFrames)
        {
            var block = gif[position];
            if (block == 0x3B)
            {
                complete = true;
                break;
            }

            if (block == 0x21)
            {
                // Extension: label, then data sub-blocks.
                if (SkipSubBlocks(gif, position + 2) is not { } next)
                {
                    break;
                }

                position = next;
                continue;
            }

            if (block != 0x2C || position + 10 > gif.Length)
            {
                // Anything else: libvips stops reading frames here too.
                complete = block != 0x2C;
                break;
            }

            var descriptor = gif[(position + 1)..];
            int left = BinaryPrimitives.ReadUInt16LittleEndian(descriptor);
            int top = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[2..]);
            int frameWidth = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[4..]);
            int frameHeight = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[6..]);
            var flags = descriptor[8];
            frames++;
            interlaced |= (flags & 0x40) != 0;
            if (defect is null && (left + frameWidth > width || top + frameHeight > height))
            {
                defect = $"GIF frame {frames} ({frameWidth}x{frameHeight} at {left},{top}) reaches beyond the image's {width}x{height} screen.";
            }

            // Descriptor, local colour table, LZW code size, then image data sub-blocks.
            if (SkipSubBlocks(gif, position + 10 + ColourTableBytes(flags) + 1) is not { } afterImage)
            {
                break;
            }

            position = afterImage;
        }

        return new("gif", width, height)
        {
            Frames = Math.Max(frames, 1),
            Channels = 4,
            ColourSpace = "palette",
            Interlaced = interlaced,
            Defect = defect,
            Complete = complete,
            // libvips composes every frame on a whole RGBA canvas of the screen's size (and keeps the previous one for disposal).
            WholeDecodeBytes = (long)width * height * 4 * (frames > 1 ? 2 : 1),
        };
    }

    private static int ColourTableBytes(byte flags) => (flags & 0x80) != 0 ? 3 * (2 << (flags & 0x07)) : 0;

    /// <summary>The position after a run of data sub-blocks ending with a zero-length one; null when the bytes end first.</summary>
    private static int? SkipSubBlocks(ReadOnlySpan<byte> gif, int position)
    {
        while (position < gif.Length)
        {
            var size = gif[position];
            position += 1 + size;
            if (size == 0)
            {
                return position;
            }
        }

        return null;
    }
}
