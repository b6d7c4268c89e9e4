using System.Text.Json.Nodes;
using NetVips;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.Tests;

/// <summary>
/// BMP references (libvips has no BMP loader): our own reader decodes each variant the intake accepts, pixel for pixel,
/// streams them in memory independent of the image's size, and the view page gets their thumbnails; the variants it
/// cannot read are refused at intake. Real Azurite and emulator behind the harness, libvips reading what comes back.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BmpThumbnailTests(PipelineFixture fixture)
{
    private static readonly Rgba[] s_colours =
    [
        new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(255, 255, 255), new(0, 0, 0), new(12, 200, 99), new(250, 128, 3), new(77, 33, 190, 128),
        new(128, 128, 128), new(1, 2, 3), new(200, 10, 160, 0), new(64, 255, 32), new(9, 99, 199), new(180, 180, 20), new(33, 66, 132, 40), new(240, 230, 220),
    ];

    public static TheoryData<string> Variants => SampleBmps.VariantData();

    [Theory]
    [MemberData(nameof(Variants))]
    public void Each_variant_decodes_pixel_for_pixel(string variant)
    {
        // Widths that leave row padding, pixels within a byte (1 and 4 bits) and a colour per pixel that moves along both axes.
        const int Width = 37, Height = 23;
        var count = Math.Min(s_colours.Length, SampleBmps.PaletteSize(variant));
        Rgba Colour(int x, int y) => s_colours[((x * 3) + (y * 5)) % count];
        var bytes = SampleBmps.Write(variant, Width, Height, Colour);
        var image = ImageHeader.Inspect(bytes)!;

        var shrunk = BmpThumbnailReader.Read(image, new MemoryStream(bytes), ThumbnailMaker.MaxEdge);

        Assert.Null(ReferenceImageRules.Check(bytes, bytes.Length, "bmp", null));
        Assert.Equal((Width, Height), (shrunk.Width, shrunk.Height));
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var at = ((y * Width) + x) * 3;
                Assert.True(SampleBmps.Expected(variant, Colour(x, y)) == (shrunk.Pixels[at], shrunk.Pixels[at + 1], shrunk.Pixels[at + 2]), $"{variant} ({x},{y}): {Colour(x, y)} gave {shrunk.Pixels[at]},{shrunk.Pixels[at + 1]},{shrunk.Pixels[at + 2]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task An_inline_bmp_reference_of_each_variant_gets_its_thumbnail_the_right_way_up(string variant)
    {
        await using var harness = fixture.CreateHarness();
        // 1203×803: a 2× box shrink, then libvips to 480 wide; quadrants red, green / blue, white (1-bit: red, green / green, red).
        var bytes = SampleBmps.Write(variant, 1203, 803, Quadrants(variant));
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("the same scene in winter", configure: r => r["image"] = $"data:image/bmp;base64,{Convert.ToBase64String(bytes)}"));
        var id = job.GetProperty("id").GetString()!;

        var reference = await ThumbnailTests.ReferenceThumbnailAsync(harness, id, 0);

        Assert.True((reference.Status, reference.ContentType) == (200, "image/jpeg"), $"{reference.Status} {System.Text.Encoding.UTF8.GetString(reference.Body)}");
        using var thumbnail = Image.NewFromBuffer(reference.Body);
        Assert.Equal(480, thumbnail.Width);
        Assert.InRange(thumbnail.Height, 319, 321);
        var quadrants = Quadrants(variant);
        foreach (var (x, y) in new[] { (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75) })
        {
            var expected = SampleBmps.Expected(variant, quadrants((int)(x * 1203), (int)(y * 803)));
            var actual = thumbnail.Getpoint((int)(x * thumbnail.Width), (int)(y * thumbnail.Height));
            Assert.True(Math.Abs(actual[0] - expected.R) < 24 && Math.Abs(actual[1] - expected.G) < 24 && Math.Abs(actual[2] - expected.B) < 24,
                $"{variant} at ({x},{y}): expected {expected}, got {string.Join(",", actual)}");
        }

        Assert.True(await harness.Storage.Images.GetBlobClient($"{id}/references/0.thumb.jpg").ExistsAsync());
    }

    [Fact]
    public void A_6000_pixel_square_24_bit_bmp_streams_through_in_memory_independent_of_its_size()
    {
        // 108 MB of pixels, generated as read: never whole anywhere, so the only large allocations would be the reader's.
        const int Side = 6000;
        var image = ImageHeader.Inspect(SyntheticBmpStream.Headers(Side))!;
        using var source = new SyntheticBmpStream(Side);
        var destination = new MemoryStream(256 * 1024);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        ThumbnailMaker.Write(image, source, destination);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(source.Length, source.Position);
        // One 18 KB row, a row of sums and the 12× shrunk 500×500 image; the file is 108 MB.
        Assert.True(allocated < 4 * 1024 * 1024, $"{allocated:N0} bytes allocated for a {source.Length:N0}-byte BMP");
        Assert.True(ImageDecodeBudget.CostOf(image) <= ImageDecodeBudget.MaxThumbnailBytes);
        using var thumbnail = Image.NewFromBuffer(destination.ToArray());
        Assert.Equal((480, 480), (thumbnail.Width, thumbnail.Height));
        // The generator's gradient: red grows to the right, green downwards.
        var topLeft = thumbnail.Getpoint(10, 10);
        var bottomRight = thumbnail.Getpoint(470, 470);
        Assert.True(topLeft[0] < 30 && topLeft[1] < 30 && bottomRight[0] > 225 && bottomRight[1] > 225, $"{string.Join(",", topLeft)} / {string.Join(",", bottomRight)}");
    }

    [Fact]
    public void A_bmp_cut_short_gives_no_thumbnail_and_is_refused_at_intake()
    {
        var whole = SampleBmps.Write("rgb24", 300, 200, Quadrants("rgb24"));
        var cut = whole[..(whole.Length - 1000)];
        var image = ImageHeader.Inspect(cut)!;

        var problem = Assert.Throws<ThumbnailException>(() => ThumbnailMaker.Write(image, new MemoryStream(cut), new MemoryStream())).Message;

        Assert.Contains("truncated", problem, StringComparison.Ordinal);
        Assert.Contains("truncated", ReferenceImageRules.Check(cut, cut.Length, "bmp", null), StringComparison.Ordinal);
        Assert.Null(ReferenceImageRules.Check(whole, whole.Length, "bmp", null));
    }

    public static TheoryData<string, byte[], string> Refused => new()
    {
        { "RLE8", SampleBmps.Header(40, 8, SampleBmps.Rle8, 640, 480), "run-length encoded (BI_RLE8)" },
        { "RLE4", SampleBmps.Header(40, 4, SampleBmps.Rle4, 640, 480), "run-length encoded (BI_RLE4)" },
        { "JPEG inside", SampleBmps.Header(124, 0, SampleBmps.Jpeg, 640, 480), "carries a JPEG inside" },
        { "PNG inside", SampleBmps.Header(124, 0, SampleBmps.Png, 640, 480), "carries a PNG inside" },
        { "OS/2 core header", SampleBmps.Os2CoreHeader(640, 480), "OS/2 core header" },
        { "OS/2 2.x header", SampleBmps.Header(64, 24, SampleBmps.Rgb, 640, 480), "info header is 64 bytes" },
        { "CMYK compression", SampleBmps.Header(40, 32, 11, 640, 480), "compression 11" },
        { "bit fields on 24 bits", SampleBmps.Header(40, 24, SampleBmps.BitFields, 640, 480, masks: [0xFF0000, 0xFF00, 0xFF]), "bit fields (BI_BITFIELDS) on 24-bit" },
        { "overlapping masks", SampleBmps.Header(40, 16, SampleBmps.BitFields, 640, 480, masks: [0xF800, 0x0FE0, 0x001F]), "not separate runs" },
        { "masks beyond 16 bits", SampleBmps.Header(40, 16, SampleBmps.BitFields, 640, 480, masks: [0xF8000, 0x07E0, 0x001F]), "not separate runs" },
        { "2 bits per pixel", SampleBmps.Header(40, 2, SampleBmps.Rgb, 640, 480), "2 bits per pixel" },
        { "300-colour 8-bit palette", SampleBmps.Header(40, 8, SampleBmps.Rgb, 640, 480, coloursUsed: 300), "palette of 300 colours" },
        { "pixels inside the headers", SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 480, pixelOffset: 20), "inside its headers" },
        { "two planes", SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 480, planes: 2), "2 colour planes" },
        { "height zero", SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 0), "height not zero" },
        { "negative width", SampleBmps.Header(40, 24, SampleBmps.Rgb, -640, 480), "width must be positive" },
        { "height int.MinValue", SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, int.MinValue), "height not zero" },
        { "rows missing", SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 480), "truncated" },
        { "7000x7000", SampleBmps.Header(40, 24, SampleBmps.Rgb, 7000, 7000), "at most 36000000 pixels" },
        { "headers cut", SampleBmps.Header(124, 32, SampleBmps.BitFields, 640, 480)[..60], "(truncated file)" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Variants_our_reader_cannot_decode_are_refused_by_the_one_rule_set_with_the_reason(string name, byte[] bytes, string reason)
    {
        var image = ImageHeader.Inspect(bytes)!;

        var atIntake = ReferenceImageRules.Check(bytes, bytes.Length, "bmp", null);

        Assert.Equal("bmp", image.Format);
        Assert.True(atIntake?.Contains(reason, StringComparison.Ordinal) == true, $"{name}: {atIntake}");
        // The thumbnailer refuses what the intake would, from the same facts, instead of decoding it.
        if (image.Undecodable is not null)
        {
            Assert.Equal(image.Undecodable, ImageDecodeBudget.Check(image));
            Assert.Throws<ThumbnailException>(() => ThumbnailMaker.Write(image, new MemoryStream(bytes), new MemoryStream()));
        }
    }

    [Fact]
    public async Task An_rle_bmp_reference_is_refused_over_http_with_a_problem_naming_image_and_the_reason()
    {
        await using var harness = fixture.CreateHarness();
        var rle = SampleBmps.Header(40, 8, SampleBmps.Rle8, 640, 480);

        var response = await harness.SubmitAsync(TestRequests.Create("a lighthouse", configure: r => r["image"] = $"data:image/bmp;base64,{Convert.ToBase64String(rle)}"));

        Assert.Equal((400, "application/problem+json"), (response.Status, response.ContentType));
        var detail = JsonNode.Parse(response.Body)!["errors"]!["image"]!.AsArray()[0]!.GetValue<string>();
        Assert.Contains("run-length encoded (BI_RLE8)", detail, StringComparison.Ordinal);
    }

    /// <summary>Four quadrants of pure colours (1-bit: two colours in a checkerboard), so a flip or mirror shows.</summary>
    private static Func<int, int, Rgba> Quadrants(string variant) => variant.StartsWith("palette1", StringComparison.Ordinal)
        ? (x, y) => (x < 601) == (y < 401) ? new Rgba(255, 0, 0) : new Rgba(0, 255, 0)
        : (x, y) => (x < 601, y < 401) switch
        {
            (true, true) => new Rgba(255, 0, 0),
            (false, true) => new Rgba(0, 255, 0),
            (true, false) => new Rgba(0, 0, 255),
            _ => new Rgba(255, 255, 255),
        };

    /// <summary>A bottom-up 24-bit BMP of <c>side</c>² made up as it is read: a gradient, red to the right, green downwards.</summary>
    private sealed class SyntheticBmpStream(int side) : ReadOnlyStream
    {
        private readonly byte[] _headers = Headers(side);
        private readonly int _stride = ((side * 3) + 3) & ~3;
        private readonly byte[] _row = new byte[((side * 3) + 3) & ~3];
        private long _position;
        private int _filledRow = -1;

        public override long Length => _headers.Length + ((long)_stride * side);

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public static byte[] Headers(int side)
        {
            var stride = ((side * 3) + 3) & ~3;
            var bytes = SampleBmps.Header(40, 24, SampleBmps.Rgb, side, side, pixelOffset: 54)[..54];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), 54 + (stride * side));
            return bytes;
        }

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length && _position < Length)
            {
                byte[] from;
                int offset;
                if (_position < _headers.Length)
                {
                    (from, offset) = (_headers, (int)_position);
                }
                else
                {
                    var pixels = _position - _headers.Length;
                    var fileRow = (int)(pixels / _stride);
                    FillRow(side - 1 - fileRow);
                    (from, offset) = (_row, (int)(pixels % _stride));
                }

                var count = Math.Min(buffer.Length - written, from.Length - offset);
                from.AsSpan(offset, count).CopyTo(buffer[written..]);
                written += count;
                _position += count;
            }

            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        private void FillRow(int y)
        {
            if (y == _filledRow)
            {
                return;
            }

            _filledRow = y;
            for (var x = 0; x < side; x++)
            {
                (_row[x * 3], _row[(x * 3) + 1], _row[(x * 3) + 2]) = (64, (byte)(y * 255 / (side - 1)), (byte)(x * 255 / (side - 1)));
            }
        }
    }
}
