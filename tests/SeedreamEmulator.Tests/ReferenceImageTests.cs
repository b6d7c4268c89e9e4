using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using SkiaSharp;

namespace SeedreamEmulator.Tests;

/// <summary>Reference images served by the emulator are fetched and checked against §3.2; data URIs are decoded and checked.</summary>
public sealed class ReferenceImageTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    private const string Lite = "doubao-seedream-5-0-260128";

    private static string Request(string model, string imageJson) =>
        $$"""{"model":"{{model}}","prompt":"blend these","image":{{imageJson}},"size":"2K"}""";

    [Fact]
    public async Task Reference_url_serves_the_requested_image()
    {
        var bytes = await host.Http.GetByteArrayAsync(host.Server.ReferenceImageUrl("person", 640, 480, "jpeg"));

        ImageAssert.Decodes(bytes, SKEncodedImageFormat.Jpeg, 640, 480).Dispose();
        Assert.Equal(bytes, await host.Http.GetByteArrayAsync(host.Server.ReferenceImageUrl("person", 640, 480, "jpeg")));
    }

    [Fact]
    public async Task Emulator_references_are_fetched_and_accepted()
    {
        var references = $"[\"{host.Server.ReferenceImageUrl("fusion-person")}\",\"{host.Server.ReferenceImageUrl("fusion-clothes", 800, 1200, "jpeg")}\"]";

        using var response = await host.PostAsync(Request(Lite, references));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, host.Server.Requests.Count(request => request.Method == "GET" && request.Path.StartsWith("/references/fusion-", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(14, 200, "the image width and height must be greater than 14 pixels")]
    [InlineData(20, 400, "the aspect ratio (width/height) must be between 1/16 and 16")]
    public async Task Emulator_reference_outside_the_limits_is_rejected(int width, int height, string detail)
    {
        var reference = host.Server.ReferenceImageUrl("odd", width, height);

        using var response = await host.PostAsync(Request(Lite, $"\"{reference}\""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("image", error.GetProperty("param").GetString());
        Assert.Contains($"Image 0 failed: {detail}", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Missing_emulator_reference_is_rejected()
    {
        var reference = new Uri(host.Server.BaseAddress, "references/missing.gif");

        using var response = await host.PostAsync(Request(Lite, $"\"{reference}\""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("could not be downloaded (HTTP 400)", (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Reference_over_the_byte_limit_is_rejected()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.MaxReferenceImageBytes = 1000);
        using var http = EmulatorTestHost.CreateClient(server);

        using var response = await EmulatorTestHost.PostAsync(http, server, Request(Lite, $"\"{server.ReferenceImageUrl("big")}\""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Image 0 failed: Image exceeds the maximum allowed size of 1000 bytes.", (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Data_uri_reference_is_decoded_and_checked()
    {
        var png = await host.Http.GetByteArrayAsync(host.Server.ReferenceImageUrl("inline", 64, 64));

        using var accepted = await host.PostAsync(Request(Lite, $"\"data:image/png;base64,{Convert.ToBase64String(png)}\""));
        using var oversized = await host.PostAsync(Request(Lite, $"\"data:image/png;base64,{Convert.ToBase64String(PngHeaderOnly(7000, 6000))}\""));
        using var empty = await host.PostAsync(Request(Lite, "\"data:image/png;base64,\""));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, oversized.StatusCode);
        Assert.Contains(
            "Image 0 failed: Image exceeds the maximum allowed total pixels. Current dimensions: 7000x6000 = 42000000 pixels. Maximum allowed: 36000000 pixels.",
            (await EmulatorTestHost.ReadJsonAsync(oversized)).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("InvalidImageURL.EmptyURL", (await EmulatorTestHost.ReadJsonAsync(empty)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Unreachable_external_reference_is_accepted_by_default()
    {
        using var response = await host.PostAsync(Request(Lite, "\"https://example.invalid/nowhere.png\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SeedEdit_adaptive_size_follows_the_reference_ratio()
    {
        var reference = host.Server.ReferenceImageUrl("wide", 1600, 900);

        using var response = await host.PostAsync($$"""{"model":"doubao-seededit-3-0-i2i-250628","prompt":"make it snow","image":"{{reference}}","size":"adaptive"}""");

        var (width, height) = ImageAssert.Size((await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data")[0]);
        Assert.Equal(16 / 9.0, width / (double)height, 0.05);
        Assert.InRange((long)width * height, 1_000_000, 1_100_000);
    }

    /// <summary>A PNG whose header declares a size far too large to render cheaply: only IHDR, one tiny IDAT and IEND.</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        WriteChunk(output, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(new byte[1 + (width * 3)]);
        }

        WriteChunk(output, "IDAT", compressed.ToArray());
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        output.Write(number);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        output.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var value in bytes)
        {
            crc ^= value;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
