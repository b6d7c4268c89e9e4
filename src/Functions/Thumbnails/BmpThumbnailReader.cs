using System.Buffers.Binary;
using System.Numerics;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Thumbnails;

/// <summary>
/// Our own BMP decoder (libvips has none): reads the rows of a BMP laid out as <see cref="BmpLayout"/> says, one at a
/// time from the stream, and box-averages them by an integer factor into an 8-bit RGB image of at most twice
/// <c>maxEdge</c> a side. It holds one file row and one output row of sums, whatever the image's size; rows come
/// top-down or bottom-up, each output row's input rows arrive together either way. Alpha is composed over white.
/// </summary>
internal static class BmpThumbnailReader
{
    /// <summary>The shrunk pixels (RGB, row by row from the top) and their size.</summary>
    public sealed record Shrunk(byte[] Pixels, int Width, int Height);

    /// <exception cref="ThumbnailException">The file ends before its last row.</exception>
    public static Shrunk Read(ImageHeader image, Stream source, int maxEdge)
    {
        var bmp = image.Bmp ?? throw new ThumbnailException(image.Undecodable ?? "The BMP's headers cannot be read.");
        int width = image.Width!.Value, height = image.Height!.Value;
        // The same integer box shrink as the other formats get before libvips' final resize (ThumbnailMaker).
        var factor = Math.Max(1, Math.Max(width, height) / maxEdge);
        int outWidth = (width + factor - 1) / factor, outHeight = (height + factor - 1) / factor;
        var pixels = new byte[(long)outWidth * outHeight * 3];
        var sums = new ulong[outWidth * 3];
        // ThumbnailMaker checked the decode budget first, which bounds the width and so the row.
        var row = new byte[checked((int)bmp.Stride)];
        var pixel = new Pixel(bmp);

        Skip(source, bmp.PixelOffset, row);
        var band = -1;
        for (var fileRow = 0; fileRow < height; fileRow++)
        {
            if (source.ReadAtLeast(row, row.Length, throwOnEndOfStream: false) < row.Length)
            {
                throw new ThumbnailException($"The bmp image is truncated: it ends at row {fileRow} of {height}.");
            }

            var y = bmp.TopDown ? fileRow : height - 1 - fileRow;
            if (y / factor != band)
            {
                Flush(band);
                band = y / factor;
            }

            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel.At(row, x);
                var cell = x / factor * 3;
                sums[cell] += r;
                sums[cell + 1] += g;
                sums[cell + 2] += b;
            }
        }

        Flush(band);
        return new Shrunk(pixels, outWidth, outHeight);

        void Flush(int outRow)
        {
            if (outRow < 0)
            {
                return;
            }

            var rows = Math.Min(factor, height - (outRow * factor));
            var output = pixels.AsSpan((int)((long)outRow * outWidth * 3), outWidth * 3);
            for (var cell = 0; cell < outWidth; cell++)
            {
                var count = (ulong)rows * (ulong)Math.Min(factor, width - (cell * factor));
                for (var c = 0; c < 3; c++)
                {
                    output[(cell * 3) + c] = (byte)((sums[(cell * 3) + c] + (count / 2)) / count);
                }
            }

            Array.Clear(sums);
        }
    }

    private static void Skip(Stream source, long bytes, byte[] scratch)
    {
        var buffer = scratch.Length >= 4096 ? scratch : new byte[4096];
        while (bytes > 0)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes));
            if (read == 0)
            {
                throw new ThumbnailException("The bmp image is truncated: it ends before its pixels.");
            }

            bytes -= read;
        }
    }

    /// <summary>One pixel's colour from a row: a palette entry, BGR bytes, or bit fields scaled to 8 bits.</summary>
    private sealed class Pixel
    {
        private readonly int _bits;
        private readonly byte[] _palette;
        private readonly int[] _shifts = new int[4];
        private readonly uint[] _masks;
        private readonly uint[] _maxima = new uint[4];

        public Pixel(BmpLayout bmp)
        {
            _bits = bmp.BitCount;
            _palette = bmp.Palette;
            _masks = bmp.Masks;
            for (var i = 0; i < _masks.Length; i++)
            {
                _shifts[i] = _masks[i] == 0 ? 0 : BitOperations.TrailingZeroCount(_masks[i]);
                _maxima[i] = _masks[i] >> _shifts[i];
            }
        }

        public (uint R, uint G, uint B) At(byte[] row, int x)
        {
            switch (_bits)
            {
                case 24:
                    return (row[(x * 3) + 2], row[(x * 3) + 1], row[x * 3]);
                case 16:
                    return Fields(BinaryPrimitives.ReadUInt16LittleEndian(row.AsSpan(x * 2)));
                case 32:
                    return Fields(BinaryPrimitives.ReadUInt32LittleEndian(row.AsSpan(x * 4)));
                default:
                    // 1, 4 or 8 bits: the leftmost pixel in the highest bits.
                    var perByte = 8 / _bits;
                    var index = (row[x / perByte] >> ((perByte - 1 - (x % perByte)) * _bits)) & ((1 << _bits) - 1);
                    return (_palette[index * 3], _palette[(index * 3) + 1], _palette[(index * 3) + 2]);
            }
        }

        private (uint R, uint G, uint B) Fields(uint value)
        {
            var (r, g, b) = (Channel(value, 0), Channel(value, 1), Channel(value, 2));
            if (_masks[3] == 0)
            {
                return (r, g, b);
            }

            // Over white, as the other thumbnails are flattened.
            var alpha = Channel(value, 3);
            return (Over(r, alpha), Over(g, alpha), Over(b, alpha));
        }

        private uint Channel(uint value, int i) => _maxima[i] == 255 ? (value & _masks[i]) >> _shifts[i]
            : (uint)((((ulong)((value & _masks[i]) >> _shifts[i]) * 255) + (_maxima[i] / 2)) / _maxima[i]);

        private static uint Over(uint colour, uint alpha) => ((colour * alpha) + (255 * (255 - alpha)) + 127) / 255;
    }
}
