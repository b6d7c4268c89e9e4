using System.Buffers.Binary;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.Tests.Drops;

/// <summary>Format and pixel size from file headers, and the contract's §3.2 limits for reference images.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ImageHeaderTests(PipelineFixture fixture)
{
    private static readonly HttpClient Http = new();

    [Theory]
    [InlineData("png", 320, 180)]
    [InlineData("jpeg", 99, 1500)]
    public async Task Real_encoded_images_report_their_format_and_size(string format, int width, int height)
    {
        var bytes = await Http.GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("sample", width, height, format));
        Assert.Equal((format, width, height), Facts(ImageHeader.Inspect(bytes)));
    }

    public static TheoryData<string, byte[], int, int> Headers => new()
    {
        { "gif", [.. "GIF89a"u8, .. Le16(640), .. Le16(480)], 640, 480 },
        { "bmp", SampleBmps.Header(40, 24, SampleBmps.Rgb, 800, -600), 800, 600 },
        { "webp", [.. "RIFF"u8, .. Le32(100), .. "WEBPVP8X"u8, .. Le32(10), 0, 0, 0, 0, .. Le24(1919), .. Le24(1079)], 1920, 1080 },
        { "tiff", [.. "II*\0"u8, .. Le32(8), .. Le16(2), .. Le16(256), .. Le16(3), .. Le32(1), .. Le32(1200), .. Le16(257), .. Le16(4), .. Le32(1), .. Le32(900)], 1200, 900 },
        { "heic", [.. Be32(24), .. "ftypheic"u8, .. new byte[12], .. "ispe"u8, 0, 0, 0, 0, .. Be32(4032), .. Be32(3024)], 4032, 3024 },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Headers_of_other_formats_report_their_size(string format, byte[] header, int width, int height) =>
        Assert.Equal((format, width, height), Facts(ImageHeader.Inspect(header)));

    [Fact]
    public void Files_that_are_no_image_are_not_recognised()
    {
        Assert.Null(ImageHeader.Inspect("%PDF-1.7 not an image"u8));
        Assert.Null(ImageHeader.Inspect([]));
    }

    [Theory]
    [InlineData("png", 1024, 1024, 1_000_000, SeedreamModels.Seedream50Lite, null)]
    [InlineData("png", 14, 500, 1_000, SeedreamModels.Seedream50Lite, "longer than 14 pixels")]
    [InlineData("png", 6001, 6000, 1_000_000, SeedreamModels.Seedream50Lite, "at most 36000000 pixels")]
    [InlineData("png", 1700, 100, 1_000_000, SeedreamModels.Seedream50Lite, "aspect ratio")]
    [InlineData("png", 1200, 300, 1_000_000, SeedreamModels.SeedEdit30ImageToImage, "aspect ratio")]
    [InlineData("webp", 512, 512, 1_000, SeedreamModels.SeedEdit30ImageToImage, "not supported")]
    [InlineData("jpeg", 512, 512, 31L * 1024 * 1024, SeedreamModels.Seedream50Lite, "at most 30 MB")]
    [InlineData("jpeg", 512, 512, 11L * 1024 * 1024, SeedreamModels.SeedEdit30ImageToImage, "at most 10 MB")]
    public void Limits_follow_the_contract_per_model(string format, int width, int height, long bytes, string model, string? problem)
    {
        var result = new ImageHeader(format, width, height).CheckLimits(bytes, model);
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("png-interlaced-16")]
    [InlineData("png")]
    [InlineData("jpeg-progressive")]
    [InlineData("jpeg")]
    [InlineData("tiff-tiled")]
    [InlineData("tiff-stripped")]
    [InlineData("gif")]
    [InlineData("webp")]
    public void Facts_of_images_written_by_libvips_match_what_libvips_reads_back(string kind)
    {
        var bytes = SampleImages.Write(kind, 300, 200);
        using var vips = NetVips.Image.NewFromBuffer(bytes);

        var facts = ImageHeader.Inspect(bytes)!;

        Assert.Equal((vips.Width, vips.Height), (facts.Width, facts.Height));
        Assert.True(facts.Complete, kind);
        Assert.Null(facts.Defect);
        Assert.Equal(kind.Contains("interlaced", StringComparison.Ordinal) || kind.Contains("progressive", StringComparison.Ordinal), facts.Interlaced);
        Assert.Equal(kind.EndsWith("-16", StringComparison.Ordinal) ? 16 : 8, facts.BitDepth);
        Assert.Null(ImageDecodeBudget.Check(facts));
    }

    [Fact]
    public void What_can_only_be_decoded_whole_is_costed_whole_and_refused_over_the_budget()
    {
        var interlaced = ImageHeader.Inspect(Intake.BadInputCases.PngHeader(6000, 6000, bitDepth: 16, colourType: 6, interlaced: true))!;
        var progressive = ImageHeader.Inspect(Intake.BadInputCases.ProgressiveCmykJpegHeader(6000, 6000))!;
        var plain = ImageHeader.Inspect(Intake.BadInputCases.PngHeader(6000, 6000, bitDepth: 16, colourType: 6, interlaced: false))!;

        Assert.Equal(6000L * 6000 * 8, interlaced.WholeDecodeBytes);
        Assert.Equal(6000L * 6000 * 4 * 2, progressive.WholeDecodeBytes);
        Assert.Equal(0, plain.WholeDecodeBytes);
        Assert.Contains("interlaced (Adam7) 16-bit PNG", ImageDecodeBudget.Check(interlaced), StringComparison.Ordinal);
        Assert.Contains("progressive CMYK JPEG", ImageDecodeBudget.Check(progressive), StringComparison.Ordinal);
        Assert.Null(ImageDecodeBudget.Check(plain));
    }

    [Fact]
    public void A_gif_frame_beyond_its_screen_and_a_tiff_tag_given_twice_are_defects_with_the_largest_size_judged()
    {
        var gif = ImageHeader.Inspect(Intake.BadInputCases.GifWithFrame(100, 100, 12000, 12000))!;
        var tiff = ImageHeader.Inspect(Intake.BadInputCases.TiffWithSizeTagsTwice())!;

        Assert.Contains("reaches beyond the image's 100x100 screen", gif.Defect, StringComparison.Ordinal);
        Assert.Contains("gives tag 256 twice", tiff.Defect, StringComparison.Ordinal);
        Assert.Contains("reaches beyond", ReferenceImageRules.Check(Intake.BadInputCases.GifWithFrame(100, 100, 12000, 12000), null, "gif", null), StringComparison.Ordinal);
        Assert.Null(ReferenceImageRules.Check(Intake.BadInputCases.GifWithFrame(100, 100, 100, 100), null, "gif", null));
    }

    private static (string Format, int? Width, int? Height) Facts(ImageHeader? header) => (header!.Format, header.Width, header.Height);

    private static byte[] Le16(int value) => BitConverter.GetBytes((ushort)value);

    private static byte[] Le24(int value) => [(byte)value, (byte)(value >> 8), (byte)(value >> 16)];

    private static byte[] Le32(int value) => BitConverter.GetBytes(value);

    private static byte[] Be32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
