namespace Seedream.Tests;

/// <summary>The provider's four example requests, verbatim, through the client against the emulator.</summary>
public sealed class ExampleRequestTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    public static TheoryData<string, string, bool, int> Cases => new()
    {
        { "text-to-image.json", "url", false, 1 },
        { "text-to-image.json", "b64_json", false, 1 },
        { "image-to-image.json", "url", false, 1 },
        { "image-to-image.json", "b64_json", false, 1 },
        { "multi-image-fusion.json", "url", false, 1 },
        { "multi-image-fusion.json", "b64_json", false, 1 },
        { "sequential-group.json", "url", false, 3 },
        { "sequential-group.json", "b64_json", false, 3 },
        { "sequential-group.json", "url", true, 3 },
        { "sequential-group.json", "b64_json", true, 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ExampleProducesDecodableImagesOfTheReportedSize(string file, string responseFormat, bool stream, int expectedImages)
    {
        var request = ImageGenerationRequest.FromJson(TestSupport.ReadExample(file));
        request.ResponseFormat = responseFormat;
        request.EnableStreaming = stream ? true : request.EnableStreaming;
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        await using var response = await client.GenerateImagesAsync(request);
        var decoded = new List<(GeneratedImage Image, int Width, int Height)>();
        var images = await TestSupport.ReadAllImagesAsync(response, async image =>
        {
            Assert.Equal(responseFormat == "b64_json", image.HasInlineContent);
            Assert.Equal(responseFormat == "url", image.Url is not null);
            var bytes = await TestImages.ReadAllAsync(image);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            var (width, height) = TestImages.ReadSize(bytes);
            decoded.Add((image, width, height));
        });

        Assert.Equal(stream, response.IsStreaming);
        Assert.Equal(expectedImages, images.Count);
        Assert.Equal(Enumerable.Range(0, expectedImages), images.Select(i => i.Index));
        Assert.All(decoded, d =>
        {
            Assert.True(d.Image.Succeeded);
            Assert.Equal((d.Width, d.Height), (d.Image.Width, d.Image.Height));
            Assert.InRange((long)d.Width * d.Height, 3_686_400, 16_777_216);
            Assert.Equal("image/png", d.Image.ContentType);
        });
        Assert.Equal(expectedImages, response.Usage!.GeneratedImages);
        Assert.Equal(decoded.Sum(d => (long)d.Width * d.Height / 256), response.Usage.OutputTokens);
        Assert.StartsWith("doubao-seedream-5-0", response.Model);
        Assert.NotNull(response.RequestId);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v1/")]
    [InlineData("api/v3/")]
    public async Task GatewayAndArkBaseUrlsWithOrWithoutTrailingSlash(string basePath)
    {
        var client = new SeedreamClient(TestSupport.Options(new Uri(emulator.Server.BaseAddress, basePath)));

        await using var response = await client.GenerateImagesAsync(ImageGenerationRequest.FromJson(TestSupport.ReadExample("text-to-image.json")));
        var image = Assert.Single(await TestSupport.ReadAllImagesAsync(response));

        Assert.Equal("2048x2048", image.Size);
        var sent = emulator.Server.Requests.Last(r => r.Method == "POST");
        Assert.Equal("/" + basePath.TrimEnd('/') + "/images/generations", sent.Path);
        Assert.Matches("^[0-9]{14}[0-9A-F]{20}$", sent.Headers["X-Client-Request-Id"]);
        Assert.Equal(response.ClientRequestId, sent.Headers["X-Client-Request-Id"]);
    }
}
