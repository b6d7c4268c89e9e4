namespace Seedream.Tests;

/// <summary>Emulator faults that affect the response body and the result images.</summary>
public sealed class FaultTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    private SeedreamClient Client(Action<SeedreamClientOptions>? configure = null)
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        configure?.Invoke(options);
        return new SeedreamClient(options);
    }

    private static ImageGenerationRequest Group(string fault, string responseFormat = "url", bool stream = false) => new()
    {
        Model = SeedreamModels.Seedream50Lite,
        Prompt = $"4 images of a lighthouse [emulator-fault:{fault}]",
        Size = "2K",
        SequentialImageGeneration = "auto",
        SequentialImageGenerationOptions = new() { MaxImages = 4 },
        ResponseFormat = responseFormat,
        EnableStreaming = stream ? true : null,
        Watermark = false,
    };

    [Theory]
    [InlineData("url", false)]
    [InlineData("b64_json", false)]
    [InlineData("url", true)]
    [InlineData("b64_json", true)]
    public async Task ModeratedImagesArePartialFailuresWithTheirIndex(string responseFormat, bool stream)
    {
        await using var response = await Client().GenerateImagesAsync(Group("moderation;indexes=1,2", responseFormat, stream));
        var images = await TestSupport.ReadAllImagesAsync(response, async image =>
        {
            if (image.Succeeded)
            {
                Assert.Equal((2048, 2048), TestImages.ReadSize(await TestImages.ReadAllAsync(image)));
            }
        });

        Assert.Equal([true, false, false, true], images.Select(i => i.Succeeded));
        Assert.Equal([0, 1, 2, 3], images.Select(i => i.Index));
        Assert.All(images.Where(i => !i.Succeeded), i => Assert.Equal("OutputImageSensitiveContentDetected", i.Error!.Code));
        Assert.Equal(2, response.Usage!.GeneratedImages);
    }

    [Fact]
    public async Task ModerationOfASingleImageIsA400()
    {
        var request = new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "[emulator-fault:moderation;indexes=0]" };

        var error = await Assert.ThrowsAsync<SeedreamException>(() => Client().GenerateImagesAsync(request));

        Assert.Equal((400, "OutputImageSensitiveContentDetected"), (error.Status, error.ErrorCode));
        Assert.Contains("moderation", error.Advice);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InternalErrorAtAnIndexEndsTheGroup(bool stream)
    {
        await using var response = await Client().GenerateImagesAsync(Group("internal-error-at;index=1", "b64_json", stream));
        var images = await TestSupport.ReadAllImagesAsync(response);

        Assert.Equal(2, images.Count);
        Assert.True(images[0].Succeeded);
        Assert.Equal((1, "InternalServiceError"), (images[1].Index, images[1].Error!.Code));
        Assert.Equal(1, response.Usage!.GeneratedImages);
    }

    [Fact]
    public async Task CorruptBase64IsAClearError()
    {
        await using var response = await Client().GenerateImagesAsync(Group("corrupt-base64;index=1", "b64_json"));

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, image => TestImages.ReadAllAsync(image)));

        Assert.Equal(SeedreamException.InvalidImageContentCode, error.ErrorCode);
        Assert.Contains("Image 1", error.Message);
        Assert.Contains("base64", error.Message);
    }

    [Theory]
    [InlineData("b64_json", false)]
    [InlineData("url", true)]
    public async Task TruncatedBodyIsAClearError(string responseFormat, bool stream)
    {
        await using var response = await Client().GenerateImagesAsync(Group("truncate;after-bytes=700", responseFormat, stream));

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, image => TestImages.ReadAllAsync(image)));

        Assert.Equal(SeedreamException.ResponseTruncatedCode, error.ErrorCode);
        Assert.True(error.MayHaveReachedServer);
        Assert.Contains("incomplete", error.Message);
    }

    [Theory]
    [InlineData("url")]
    [InlineData("b64_json")]
    public async Task NotAnImageIsRefusedBeforeAnyByteIsHandedOver(string responseFormat)
    {
        await using var response = await Client().GenerateImagesAsync(Group("not-an-image;index=0", responseFormat));
        byte[]? handedOver = null;

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, async image =>
        {
            await using var stream = await image.OpenReadAsync();
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer);
            handedOver = buffer[..read];
        }));

        Assert.Null(handedOver);
        Assert.Equal(SeedreamException.InvalidImageContentCode, error.ErrorCode);
        Assert.Contains("not a PNG or JPEG", error.Message);
    }

    [Fact]
    public async Task ExpiredResultUrlsAreTypedDownloadErrors()
    {
        await using var response = await Client().GenerateImagesAsync(Group("expired-urls"));

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, image => TestImages.ReadAllAsync(image)));

        Assert.Equal((403, "AccessDenied"), (error.Status, error.ErrorCode));
        Assert.False(error.IsTransient);
        Assert.DoesNotContain("X-Tos-Signature", error.Message);
    }

    [Fact]
    public async Task DownloadsAreCappedAtMaxImageBytes()
    {
        var client = Client(options => options.Downloads.MaxImageBytes = 1000);
        var request = Group("none", "url");
        request.Prompt = "4 images of a lighthouse";
        await using var response = await client.GenerateImagesAsync(request);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response, image => TestImages.ReadAllAsync(image)));

        Assert.Equal(SeedreamException.ImageTooLargeCode, error.ErrorCode);
    }

    [Fact]
    public async Task CancellingWhileReadingTheBodyStopsPromptly()
    {
        emulator.Server.Options.ImageDelay = TimeSpan.FromMilliseconds(400);
        try
        {
            await using var response = await Client().GenerateImagesAsync(Group("slow-headers;delay-ms=0", "b64_json", stream: true));
            using var cancellation = new CancellationTokenSource();
            var seen = 0;

            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var image in response.ReadImagesAsync(cancellation.Token))
                {
                    seen++;
                    cancellation.Cancel();
                }
            });

            Assert.Equal(1, seen);
        }
        finally
        {
            emulator.Server.Options.ImageDelay = TimeSpan.Zero;
        }
    }
}
