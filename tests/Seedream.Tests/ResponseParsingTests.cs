using System.Text;

namespace Seedream.Tests;

/// <summary>The incremental JSON/SSE reader, fed canned bodies over real loopback HTTP in small chunks.</summary>
public sealed class ResponseParsingTests
{
    private static readonly byte[] PngA = TestImages.FakePng(32, 16, 5000);
    private static readonly byte[] PngB = TestImages.FakePng(8, 8, 70_000);

    private static async Task<(ImageGenerationResponse Response, CannedHttpServer Server)> GenerateAsync(
        string body, int status = 200, string contentType = "application/json", int chunkSize = 7, bool stream = false, Action<SeedreamClientOptions>? configure = null)
    {
        var server = await CannedHttpServer.StartAsync(status, contentType, Encoding.UTF8.GetBytes(body), chunkSize);
        var options = TestSupport.Options(new Uri(server.BaseAddress, "v1"));
        configure?.Invoke(options);
        var client = new SeedreamClient(options);
        try
        {
            var response = await client.GenerateImagesAsync(new ImageGenerationRequest
            {
                Model = SeedreamModels.Seedream50Lite,
                Prompt = "p",
                ResponseFormat = "b64_json",
                OutputFormat = "png",
                EnableStreaming = stream ? true : null,
            });
            return (response, server);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Base64 as a JSON serializer with default escaping would write it: '/' as "\/" and '+' as "\u002B".</summary>
    private static string EscapedBase64(byte[] bytes) =>
        Convert.ToBase64String(bytes).Replace("/", "\\/", StringComparison.Ordinal).Replace("+", "\\u002B", StringComparison.Ordinal);

    [Fact]
    public async Task InlineImagesDecodeAcrossChunkBoundariesWithEscapesAndFieldsInAnyOrder()
    {
        var body = $$$"""
            {"created":1757323224,"future":{"nested":[1,{"deep":"x\"y"}]},"data":[
              {"b64_json":"{{{EscapedBase64(PngA)}}}","size":"32x16","unknown":null},
              {"size":"8x8","extra":[true,false],"b64_json":"{{{EscapedBase64(PngB)}}}","output_format":"png"}
            ],"model":"doubao-seedream-5-0-260128","usage":{"generated_images":2,"output_tokens":3,"total_tokens":3,"tool_usage":{"web_search":1}},"tools":[{"type":"web_search"}]}
            """;
        var (response, server) = await GenerateAsync(body);
        await using var _ = server;
        await using var __ = response;

        var contents = new List<byte[]>();
        var images = await TestSupport.ReadAllImagesAsync(response, async image => contents.Add(await TestImages.ReadAllAsync(image)));

        Assert.False(response.IsStreaming);
        Assert.Equal("021700000000000canned", response.RequestId);
        Assert.Equal([0, 1], images.Select(i => i.Index));
        Assert.All(images, i => Assert.True(i.HasInlineContent));
        Assert.Equal(PngA, contents[0]);
        Assert.Equal(PngB, contents[1]);
        Assert.Equal("32x16", images[0].Size);
        Assert.Equal((32, 16), (images[0].Width, images[0].Height));
        Assert.Equal("image/png", images[1].ContentType);
        Assert.Equal("doubao-seedream-5-0-260128", response.Model);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1757323224), response.Created);
        Assert.Equal(2, response.Usage!.GeneratedImages);
        Assert.Equal(1, response.Usage.ToolUsage!.WebSearch);
        Assert.Equal("web_search", Assert.Single(response.Tools!).Type);
    }

    [Fact]
    public async Task UnreadInlineContentIsSkippedAndItsStreamDetached()
    {
        var body = $$"""{"data":[{"b64_json":"{{Convert.ToBase64String(PngB)}}","size":"8x8"},{"b64_json":"{{Convert.ToBase64String(PngA)}}","size":"32x16"}]}""";
        var (response, server) = await GenerateAsync(body, chunkSize: 4096);
        await using var _ = server;
        await using var __ = response;

        Stream? firstStream = null;
        var sizes = new List<string?>();
        var images = new List<GeneratedImage>();
        var second = Array.Empty<byte>();
        await foreach (var image in response.ReadImagesAsync())
        {
            if (image.Index == 0)
            {
                firstStream = await image.OpenReadAsync();
                var partial = new byte[100];
                await firstStream.ReadExactlyAsync(partial);
            }
            else
            {
                second = await TestImages.ReadAllAsync(image);
            }

            sizes.Add(image.Size);
            images.Add(image);
        }

        Assert.Equal(PngA, second);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await firstStream!.ReadExactlyAsync(new byte[10]));
        Assert.Equal([null, "32x16"], sizes);
        Assert.Equal("8x8", images[0].Size);
    }

    [Fact]
    public async Task PartialFailuresAreResultsNotErrors()
    {
        const string body = """
            {"model":"m","created":1,"data":[{"url":"https://results.example/0.jpeg?sig=1","size":"2048x2048"},
            {"error":{"code":"OutputImageSensitiveContentDetected","message":"The request failed because the output image may contain sensitive information."}},
            {"url":"https://results.example/2.jpeg","size":"2048x2048"}],"usage":{"generated_images":2,"output_tokens":32768,"total_tokens":32768}}
            """;
        var (response, server) = await GenerateAsync(body);
        await using var _ = server;
        await using var __ = response;

        var images = await TestSupport.ReadAllImagesAsync(response);

        Assert.Equal(3, images.Count);
        Assert.False(images[1].Succeeded);
        Assert.Equal(1, images[1].Index);
        Assert.Equal("OutputImageSensitiveContentDetected", images[1].Error!.Code);
        Assert.Equal(new Uri("https://results.example/2.jpeg"), images[2].Url);
        Assert.Equal(32768, response.Usage!.TotalTokens);
        await Assert.ThrowsAsync<InvalidOperationException>(() => images[1].OpenReadAsync());
    }

    [Fact]
    public async Task TopLevelErrorInA200BodyThrows()
    {
        var (response, server) = await GenerateAsync("""{"created":1,"error":{"code":"InternalServiceError","message":"boom. Request id: 02abc"}}""");
        await using var _ = server;
        await using var __ = response;

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response));

        Assert.Equal("InternalServiceError", error.ErrorCode);
        Assert.True(error.IsTransient);
        Assert.True(error.MayHaveReachedServer);
    }

    [Fact]
    public async Task EventStreamYieldsImagesAsEventsArriveAndIgnoresUnknownEvents()
    {
        var preview = new string('A', 200_000);
        var body =
            "event: image_generation.partial_image\n" +
            $"data: {{\"type\":\"image_generation.partial_image\",\"partial_image_index\":0,\"b64_json\":\"{preview}\"}}\n\n" +
            ": keep-alive comment\n\n" +
            "event: image_generation.partial_succeeded\n" +
            $"data: {{\"type\":\"image_generation.partial_succeeded\",\"model\":\"seedream-4-5-251128\",\"created\":1757396757,\"image_index\":0,\"b64_json\":\"{EscapedBase64(PngB)}\",\"size\":\"8x8\"}}\n\n" +
            "event: image_generation.partial_failed\r\n" +
            "data: {\"type\":\"image_generation.partial_failed\",\"image_index\":1,\"error\":{\"code\":\"OutputImageSensitiveContentDetected\",\"message\":\"m\"}}\r\n\r\n" +
            "event: something.new\n" +
            "data: {\"type\":\"something.new\",\"b64_json\":\"zzz\"}\n\n" +
            "data: {\"type\":\"image_generation.partial_succeeded\",\"b64_json\":\"" + Convert.ToBase64String(PngA) + "\",\"size\":\"32x16\"}\n\n" +
            "event: image_generation.completed\n" +
            "data: {\"type\":\"image_generation.completed\",\"usage\":{\"generated_images\":2,\"output_tokens\":48672,\"total_tokens\":48672}}\n\n" +
            "data: [DONE]\n\n";
        var (response, server) = await GenerateAsync(body, contentType: "text/event-stream", chunkSize: 1000, stream: true);
        await using var _ = server;
        await using var __ = response;

        var contents = new Dictionary<int, byte[]>();
        var images = await TestSupport.ReadAllImagesAsync(response, async image =>
        {
            if (image.Succeeded)
            {
                contents[image.Index] = await TestImages.ReadAllAsync(image);
            }
        });

        Assert.True(response.IsStreaming);
        Assert.Equal([0, 1, 2], images.Select(i => i.Index));
        Assert.Equal(PngB, contents[0]);
        Assert.Equal("OutputImageSensitiveContentDetected", images[1].Error!.Code);
        Assert.Equal(PngA, contents[2]);
        Assert.Equal("32x16", images[2].Size);
        Assert.Equal("seedream-4-5-251128", response.Model);
        Assert.Equal(48672, response.Usage!.OutputTokens);
    }

    [Fact]
    public async Task EventStreamErrorEventThrows()
    {
        const string body = "event: error\ndata: {\"error\":{\"code\":\"BadRequest\",\"message\":\"The request failed because it is missing one or multiple required parameters. Request ID: 02x\"}}\n\n";
        var (response, server) = await GenerateAsync(body, contentType: "text/event-stream", stream: true);
        await using var _ = server;
        await using var __ = response;

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response));
        Assert.Equal("BadRequest", error.ErrorCode);
    }

    [Fact]
    public async Task JsonErrorToAStreamingRequestIsAnErrorEvenWithAnEventStreamContentType()
    {
        const string body = """{"error":{"code":"InvalidParameter","message":"The parameter `size` specified in the request is not valid: image size must be at least 3686400 pixels. Request id: 0217654321000","param":"size","type":"BadRequest"}}""";

        var error = await Assert.ThrowsAsync<SeedreamException>(() => GenerateAsync(body, status: 400, contentType: "text/event-stream", stream: true));

        Assert.Equal(400, error.Status);
        Assert.Equal("InvalidParameter", error.ErrorCode);
        Assert.Equal("size", error.Param);
        Assert.Equal("021700000000000canned", error.RequestId);
        Assert.Contains("size", error.Advice);
    }

    [Fact]
    public async Task StreamRequestAnsweredWithOneJsonDocumentIsReadAsJson()
    {
        var body = $$"""{"data":[{"b64_json":"{{Convert.ToBase64String(PngA)}}","size":"32x16"}]}""";
        var (response, server) = await GenerateAsync(body, contentType: "text/event-stream", stream: true);
        await using var _ = server;
        await using var __ = response;

        Assert.False(response.IsStreaming);
        var images = await TestSupport.ReadAllImagesAsync(response, async image => Assert.Equal(PngA, await TestImages.ReadAllAsync(image)));
        Assert.Single(images);
    }

    [Fact]
    public async Task CorruptBase64AndWrongSignatureAndCutBodiesAreClearErrors()
    {
        var (corrupt, server1) = await GenerateAsync("""{"data":[{"b64_json":"iVBORw0K!!!!GgoAAAA","size":"1x1"}]}""");
        await using (server1)
        await using (corrupt)
        {
            var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(corrupt, image => TestImages.ReadAllAsync(image)));
            Assert.Equal(SeedreamException.InvalidImageContentCode, error.ErrorCode);
            Assert.Contains("base64", error.Message);
        }

        var html = Convert.ToBase64String("<html>not an image</html>"u8.ToArray());
        var (notImage, server2) = await GenerateAsync($$"""{"data":[{"b64_json":"{{html}}"}]}""");
        await using (server2)
        await using (notImage)
        {
            var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(notImage, image => TestImages.ReadAllAsync(image)));
            Assert.Equal(SeedreamException.InvalidImageContentCode, error.ErrorCode);
            Assert.Contains("not a PNG or JPEG", error.Message);
        }

        var (cut, server3) = await GenerateAsync($$"""{"data":[{"b64_json":"{{Convert.ToBase64String(PngB)[..5000]}}""");
        await using (server3)
        await using (cut)
        {
            var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(cut, image => TestImages.ReadAllAsync(image)));
            Assert.Equal(SeedreamException.ResponseTruncatedCode, error.ErrorCode);
        }
    }

    [Fact]
    public async Task InlineImagesAreCappedLikeDownloads()
    {
        var (response, server) = await GenerateAsync($$"""{"data":[{"b64_json":"{{Convert.ToBase64String(PngB)}}"}]}""",
            configure: options => options.Downloads.MaxImageBytes = 10_000);
        await using var _ = server;
        await using var __ = response;

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, image => TestImages.ReadAllAsync(image)));

        Assert.Equal(SeedreamException.ImageTooLargeCode, error.ErrorCode);
    }
}
