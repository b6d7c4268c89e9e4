using System.Buffers.Binary;

namespace Seedream.Functions.Storage;

/// <summary>
/// A TIFF's pages (image file directories) as far as the bytes reach: each page's size, samples, bit depth and strip or
/// tile layout. A tag given twice in one directory is a defect: readers disagree on which value counts (libtiff keeps
/// the first, others the last).
/// </summary>
internal static class TiffHeaderReader
{
    private const int MaxPages = 64;
    private const int MaxEntries = 4096;

    private const ushort ImageWidth = 256, ImageLength = 257, BitsPerSample = 258, Photometric = 262, SamplesPerPixel = 277,
        RowsPerStrip = 278, TileWidth = 322, TileLength = 323;

    public static ImageHeader Read(ReadOnlySpan<byte> tiff)
    {
        var littleEndian = tiff[0] == (byte)'I';
        if (tiff.Length < 8)
        {
            return new("tiff", null, null) { Complete = false };
        }

        var directory = (long)ReadUInt32(tiff, 4, littleEndian);
        var seen = new HashSet<long>();
        var pages = 0;
        int? width = null, height = null;
        var best = default(Page);
        long wholeDecode = 0;
        string? defect = null;
        var complete = true;
        while (directory != 0 && pages < MaxPages)
        {
            if (directory + 2 > tiff.Length)
            {
                complete = false;
                break;
            }

            if (!seen.Add(directory))
            {
                break; // A directory chain that loops: libtiff stops there too.
            }

            var entries = ReadUInt16(tiff, (int)directory, littleEndian);
            if (entries > MaxEntries || directory + 2 + (entries * 12L) > tiff.Length)
            {
                complete = false;
                break;
            }

            var page = new Page { Samples = 1, Bits = 1 };
            var tags = new HashSet<ushort>();
            for (var i = 0; i < entries; i++)
            {
                var entry = (int)directory + 2 + (i * 12);
                var tag = ReadUInt16(tiff, entry, littleEndian);
                if (!tags.Add(tag))
                {
                    defect ??= $"TIFF page {pages + 1} gives tag {tag} twice; decoders disagree on which value counts.";
                }

                var value = Value(tiff, entry, littleEndian);
                switch (tag)
                {
                    case ImageWidth: page.Width = value; break;
                    case ImageLength: page.Height = value; break;
                    case BitsPerSample: page.Bits = value; break;
                    case SamplesPerPixel: page.Samples = value; break;
                    case RowsPerStrip: page.RowsPerStrip = value; break;
                    case TileWidth: page.TileWidth = value; break;
                    case TileLength: page.TileLength = value; break;
                    case Photometric: page.Photometric = value; break;
                }
            }

            pages++;
            if (page.Width is > 0 && page.Height is > 0)
            {
                var pixels = (long)page.Width.Value * page.Height.Value;
                if (width is null || pixels > (long)width.Value * height!.Value)
                {
                    (width, height, best) = (page.Width, page.Height, page);
                }

                wholeDecode = Math.Max(wholeDecode, page.BufferBytes);
            }

            var next = (int)directory + 2 + (entries * 12);
            if (next + 4 > tiff.Length)
            {
                complete = false;
                break;
            }

            directory = ReadUInt32(tiff, next, littleEndian);
        }

        return new("tiff", width, height)
        {
            Frames = Math.Max(pages, 1),
            BitDepth = Math.Max(best.Bits, 1),
            Channels = Math.Max(best.Samples, 1),
            ColourSpace = best.Photometric switch { 0 or 1 => "grey", 3 => "palette", 5 => "cmyk", 6 => "ycbcr", _ => "rgb" },
            Defect = defect,
            Complete = complete,
            WholeDecodeBytes = wholeDecode,
        };
    }

    /// <summary>The value of a SHORT (3) or LONG (4) entry held in the entry itself (the first one, when there are several).</summary>
    private static int Value(ReadOnlySpan<byte> tiff, int entry, bool littleEndian)
    {
        var type = ReadUInt16(tiff, entry + 2, littleEndian);
        var count = ReadUInt32(tiff, entry + 4, littleEndian);
        var fitsInEntry = type == 3 ? count <= 2 : count <= 1;
        var offset = fitsInEntry ? entry + 8 : (long)ReadUInt32(tiff, entry + 8, littleEndian);
        if (offset + 4 > tiff.Length)
        {
            return 0;
        }

        return type == 3 ? ReadUInt16(tiff, (int)offset, littleEndian) : (int)Math.Min(int.MaxValue, ReadUInt32(tiff, (int)offset, littleEndian));
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> bytes, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[offset..]);

    private static ushort ReadUInt16(ReadOnlySpan<byte> bytes, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]);

    private struct Page
    {
        public int? Width, Height;
        public int Bits, Samples, Photometric;
        public int? RowsPerStrip, TileWidth, TileLength;

        /// <summary>
        /// What libtiff decodes at once, twice (libvips keeps one strip or one row of tiles ahead): a strip of
        /// RowsPerStrip rows (the whole image when absent), or a row of tiles.
        /// </summary>
        public readonly long BufferBytes
        {
            get
            {
                var bytesPerPixel = Math.Max(1L, (long)Samples * Math.Max(Bits, 8) / 8);
                long rows = TileWidth is > 0 && TileLength is > 0 ? TileLength.Value : Math.Min(RowsPerStrip is > 0 ? RowsPerStrip.Value : Height!.Value, Height!.Value);
                long columns = TileWidth is > 0 ? (Width!.Value + TileWidth.Value - 1L) / TileWidth.Value * TileWidth.Value : Width!.Value;
                return 2 * rows * columns * bytesPerPixel;
            }
        }
    }
}
