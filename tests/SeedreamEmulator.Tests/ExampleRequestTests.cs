using System.Net;
using System.Text.Json;
using SkiaSharp;

namespace SeedreamEmulator.Tests;

/// <summary>The provider's four example requests work verbatim (url) and in b64_json and stream modes.</summary>
public sealed class ExampleRequestTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    public static TheoryData<string, int> Examples => new()
    {
        { "text-to-image", 1 },
        { "image-to-image", 1 },
        { "multi-image-fusion", 1 },
        { "sequential-group", 3 },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Verbatim_example_returns_downloadable_png_urls(string example, int expectedImages)
    {
        using var response = await host.PostAsync(EmulatorTestHost.Example(example));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        Assert.Equal("doubao-seedream-5-0-260128", body.GetProperty("model").GetString());
        var items = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(expectedImages, items.Count);
        foreach (var item in items)
        {
            Assert.Equal((2048, 2048), ImageAssert.Size(item));
            Assert.Equal("png", item.GetProperty("output_format").GetString());
            using var download = await host.Http.GetAsync(item.GetProperty("url").GetString());
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("image/png", download.Content.Headers.ContentType?.MediaType);
            ImageAssert.Decodes(await download.Content.ReadAsByteArrayAsync(), SKEncodedImageFormat.Png, 2048, 2048).Dispose();
        }

        ImageAssert.UsageMatches(body.GetProperty("usage"), items.Select(ImageAssert.Size));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_in_b64_json_mode_returns_inline_png(string example, int expectedImages)
    {
        var request = EmulatorTestHost.Edit(EmulatorTestHost.Example(example), body => body["response_format"] = "b64_json");

        using var response = await host.PostAsync(request, EmulatorTestHost.GatewayRoute);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        var items = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(expectedImages, items.Count);
        foreach (var item in items)
        {
            Assert.False(item.TryGetProperty("url", out _));
            ImageAssert.Decodes(item.GetProperty("b64_json").GetBytesFromBase64(), SKEncodedImageFormat.Png, 2048, 2048).Dispose();
        }

        ImageAssert.UsageMatches(body.GetProperty("usage"), items.Select(ImageAssert.Size));
    }

    [Fact]
    public async Task Group_example_streams_three_images_then_completed_and_done()
    {
        var request = EmulatorTestHost.Edit(EmulatorTestHost.Example("sequential-group"), body =>
        {
            body["stream"] = true;
            body["response_format"] = "b64_json";
        });

        using var response = await host.PostAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ServerSentEvents.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(5, events.Count);
        for (var index = 0; index < 3; index++)
        {
            Assert.Equal("image_generation.partial_succeeded", events[index].Event);
            var data = JsonDocument.Parse(events[index].Data).RootElement;
            Assert.Equal(events[index].Event, data.GetProperty("type").GetString());
            Assert.Equal(index, data.GetProperty("image_index").GetInt32());
            Assert.Equal("doubao-seedream-5-0-260128", data.GetProperty("model").GetString());
            Assert.Equal("2048x2048", data.GetProperty("size").GetString());
            ImageAssert.Decodes(data.GetProperty("b64_json").GetBytesFromBase64(), SKEncodedImageFormat.Png, 2048, 2048).Dispose();
        }

        Assert.Equal("image_generation.completed", events[3].Event);
        var completed = JsonDocument.Parse(events[3].Data).RootElement;
        ImageAssert.UsageMatches(completed.GetProperty("usage"), Enumerable.Repeat((2048, 2048), 3));
        Assert.Equal(new ServerSentEvent(null, "[DONE]"), events[4]);
    }

    [Fact]
    public async Task Same_request_gives_the_same_image_and_another_prompt_a_different_one()
    {
        var request = """{"model":"doubao-seedream-4-0-250828","prompt":"a red fox","size":"1K","response_format":"b64_json"}""";
        var first = await InlineImageAsync(request);
        var second = await InlineImageAsync(request);
        var other = await InlineImageAsync(request.Replace("red fox", "blue whale"));

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        ImageAssert.Decodes(first, SKEncodedImageFormat.Jpeg, 1024, 1024).Dispose();
    }

    [Fact]
    public async Task Watermark_true_marks_the_bottom_right_corner_only()
    {
        const string Request = """{"model":"doubao-seedream-4-0-250828","prompt":"a quiet lake","size":"1024x1024","output_format":"jpeg","response_format":"b64_json","watermark":WATERMARK}""";
        using var marked = SKBitmap.Decode(await InlineImageAsync(Request.Replace("WATERMARK", "true")));
        using var plain = SKBitmap.Decode(await InlineImageAsync(Request.Replace("WATERMARK", "false")));

        Assert.True(RegionDifference(marked, plain, 0.85f, 0.955f) > 30, "bottom-right differs");
        Assert.True(RegionDifference(marked, plain, 0.05f, 0.05f) < 3, "top-left is the same");
    }

    [Fact]
    public async Task Noise_content_gives_realistic_png_sizes()
    {
        await using var noisy = await SeedreamEmulatorServer.StartAsync(options => options.NoiseContent = true);
        using var http = EmulatorTestHost.CreateClient(noisy);
        using var response = await EmulatorTestHost.PostAsync(http, noisy,
            """{"model":"doubao-seedream-5-0-260128","prompt":"noise","size":"2K","output_format":"png","response_format":"b64_json"}""");
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        var bytes = body.GetProperty("data")[0].GetProperty("b64_json").GetBytesFromBase64();

        // 2048² RGB noise barely compresses: ~12 MB, like a real 2K PNG photo of fine detail.
        Assert.InRange(bytes.Length, 10_000_000, 14_000_000);
        ImageAssert.Decodes(bytes, SKEncodedImageFormat.Png, 2048, 2048).Dispose();
    }

    private async Task<byte[]> InlineImageAsync(string request)
    {
        using var response = await host.PostAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        return body.GetProperty("data")[0].GetProperty("b64_json").GetBytesFromBase64();
    }

    /// <summary>Mean absolute channel difference in a 3%-wide square around (fx, fy).</summary>
    private static double RegionDifference(SKBitmap a, SKBitmap b, float fx, float fy)
    {
        var (cx, cy, half) = ((int)(a.Width * fx), (int)(a.Height * fy), (int)(a.Width * 0.015f));
        double total = 0;
        var count = 0;
        for (var y = cy - half; y < cy + half; y++)
        {
            for (var x = cx - half; x < cx + half; x++)
            {
                var (p, q) = (a.GetPixel(x, y), b.GetPixel(x, y));
                total += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
                count += 3;
            }
        }

        return total / count;
    }
}
