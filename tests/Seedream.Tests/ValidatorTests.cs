namespace Seedream.Tests;

public sealed class ValidatorTests
{
    private static IReadOnlyList<SeedreamValidationError> Validate(string model, Action<ImageGenerationRequest>? configure = null)
    {
        var request = new ImageGenerationRequest { Model = model, Prompt = "a cat" };
        configure?.Invoke(request);
        return ImageGenerationRequestValidator.Validate(request);
    }

    private static string PngDataUri(int decodedBytes, string format = "png") =>
        $"data:image/{format};base64," + Convert.ToBase64String(new byte[decodedBytes]);

    [Fact]
    public void ValidRequestsForEveryKnownModelPass()
    {
        Assert.Empty(Validate(SeedreamModels.Seedream50Lite, r => r.Size = "3K"));
        Assert.Empty(Validate(SeedreamModels.BytePlusSeedream45, r => r.Size = "2560x1440"));
        Assert.Empty(Validate(SeedreamModels.Seedream40, r => { r.Size = "1K"; r.OptimizePromptOptions = new() { Mode = "fast" }; }));
        Assert.Empty(Validate(SeedreamModels.Seedream30TextToImage, r => { r.Size = "1024x1024"; r.Seed = -1; r.GuidanceScale = 2.5; }));
        Assert.Empty(Validate(SeedreamModels.SeedEdit30ImageToImage, r => { r.Image = "https://example.com/a.png"; r.Size = "adaptive"; }));
        Assert.Empty(Validate(SeedreamModels.BytePlusSeedream50Pro, r => { r.Size = "1.5K"; r.OutputFormat = "png"; }));
    }

    [Fact]
    public void MissingPromptAndModelAreReportedTogether()
    {
        var errors = ImageGenerationRequestValidator.Validate(new ImageGenerationRequest());

        Assert.Equal(["model", "prompt"], errors.Select(e => e.Param));
        Assert.All(errors, e => Assert.Equal("MissingParameter", e.Code));
        Assert.Equal("The required parameter prompt is missing.", errors[1].Message);
    }

    [Fact]
    public void SizeRulesUseTheServersWording()
    {
        var lite = Assert.Single(Validate(SeedreamModels.Seedream50Lite, r => r.Size = "1K"));
        Assert.Equal("The parameter `size` specified in the request is not valid: size must be one of 'WIDTHxHEIGHT', '2k', '3k', or '4k'.", lite.Message);

        var small = Assert.Single(Validate(SeedreamModels.Seedream45, r => r.Size = "1024x1024"));
        Assert.Equal("The parameter `size` specified in the request is not valid: image size must be at least 3686400 pixels", small.Message);

        var keyword45 = Assert.Single(Validate(SeedreamModels.Seedream45, r => r.Size = "adaptive"));
        Assert.Contains("the specified size is not supported for model doubao-seedream-4-5", keyword45.Message);

        Assert.Contains("aspect ratio", Assert.Single(Validate(SeedreamModels.Seedream40, r => r.Size = "8000x400")).Message);
        Assert.Single(Validate(SeedreamModels.SeedEdit30ImageToImage, r => { r.Image = "https://example.com/a.png"; r.Size = "1024x1024"; }));
        Assert.Single(Validate(SeedreamModels.Seedream50Pro, r => r.Size = "4096x4096"));
        Assert.Empty(Validate(SeedreamModels.Seedream50Lite, r => r.Size = "4k"));
    }

    [Fact]
    public void ModelSpecificParametersAreRefusedWhereUnsupported()
    {
        var t2i = Validate(SeedreamModels.Seedream30TextToImage, r =>
        {
            r.Image = "https://example.com/a.png";
            r.EnableStreaming = true;
            r.SequentialImageGeneration = "auto";
        });
        Assert.Equal(["image", "sequential_image_generation", "stream"], t2i.Select(e => e.Param).Order());
        Assert.Contains(t2i, e => e.Message == "The parameter `image` specified in the request is not valid: the parameter `image` is not supported by the current model.");

        Assert.Equal("stream", Assert.Single(Validate(SeedreamModels.Seedream50Pro, r => r.EnableStreaming = true)).Param);
        Assert.Equal("tools", Assert.Single(Validate(SeedreamModels.Seedream45, r => r.Tools = [new() { Type = "web_search" }])).Param);
        Assert.Equal("output_format", Assert.Single(Validate(SeedreamModels.Seedream45, r => r.OutputFormat = "png")).Param);
        Assert.Empty(Validate(SeedreamModels.Seedream45, r => r.OutputFormat = "jpeg"));
        Assert.Contains("optimize_prompt_options.mode must be 'standard'", Assert.Single(Validate(SeedreamModels.Seedream50Lite, r => r.OptimizePromptOptions = new() { Mode = "fast" })).Message);
        Assert.Contains("must be one of: jpeg, png", Assert.Single(Validate(SeedreamModels.Seedream50Lite, r => r.OutputFormat = "webp")).Message);
        Assert.Equal("layer_decomposition", Assert.Single(Validate(SeedreamModels.Seedream40, r => r.LayerDecomposition = true)).Param);
        Assert.Equal("image", Assert.Single(Validate(SeedreamModels.SeedEdit30ImageToImage)).Param);
    }

    [Fact]
    public void TransparentBackgroundRulesOfPro()
    {
        var errors = Validate(SeedreamModels.Seedream50Pro, r => { r.Background = "transparent"; r.OutputFormat = "jpeg"; });

        Assert.Contains(errors, e => e.Param == "background" && e.Message == "transparent background requires exactly one input image");
        Assert.Contains(errors, e => e.Param == "output_format" && e.Message == "must be png when background is transparent");
        Assert.Empty(Validate(SeedreamModels.Seedream50Pro, r => { r.Prompt = null; r.LayerDecomposition = true; r.Image = "https://example.com/a.png"; }));
    }

    [Fact]
    public void ReferenceImageRulesThatCanBeCheckedOffline()
    {
        var tooMany = Validate(SeedreamModels.Seedream50Lite, r => r.Image = Enumerable.Range(0, 15).Select(i => $"https://example.com/{i}.png").ToArray());
        Assert.Equal("The parameter `image` specified in the request is not valid: number of reference images cannot exceed 14", Assert.Single(tooMany).Message);
        Assert.Contains("cannot exceed 10", Assert.Single(Validate(SeedreamModels.Seedream50Pro, r => r.Image = Enumerable.Repeat("https://example.com/a.png", 11).ToArray())).Message);

        var errors = Validate(SeedreamModels.Seedream50Lite, r => r.Image = new[]
        {
            PngDataUri(16),
            "data:image/PNG;base64,iVBORw0KGgo=",
            "data:image/svg;base64,iVBORw0KGgo=",
            "data:image/png;base64,",
            "data:image/png;base64,***",
            "ftp://example.com/a.png",
            "/relative.png",
        });
        Assert.Equal(["image[1]", "image[2]", "image[3]", "image[4]", "image[5]", "image[6]"], errors.Select(e => e.Param));
        Assert.Contains("lowercase", errors[0].Message);
        Assert.Contains("Empty base64 image url", errors[2].Message);

        Assert.Equal("image", Assert.Single(Validate(SeedreamModels.SeedEdit30ImageToImage, r => r.Image = PngDataUri(16, "webp"))).Param);
        Assert.Single(Validate(SeedreamModels.SeedEdit30ImageToImage, r => r.Image = PngDataUri(10 * 1024 * 1024 + 1)));
        Assert.Empty(Validate(SeedreamModels.Seedream40, r => r.Image = PngDataUri(10 * 1024 * 1024 + 1)));
    }

    [Fact]
    public void UnknownModelsGetOnlyModelIndependentRules()
    {
        Assert.Empty(Validate("ep-20260101-abcde", r => { r.Size = "1K"; r.EnableStreaming = true; r.Image = Enumerable.Repeat("https://example.com/a.png", 20).ToArray(); }));
        Assert.Empty(Validate("bytedance/seedream-4.0", r => r.Tools = [new() { Type = "web_search" }]));

        var errors = Validate("seedream-4.5", r =>
        {
            r.Prompt = " ";
            r.Image = "data:image/Png;base64,AAAA";
            r.SequentialImageGenerationOptions = new() { MaxImages = 16 };
            r.ResponseFormat = "base64";
        });
        Assert.Equal(["prompt", "image", "response_format", "sequential_image_generation_options.max_images"], errors.Select(e => e.Param));
    }

    [Fact]
    public void CapabilityTableKnowsBothVendorsIds()
    {
        Assert.Same(SeedreamModelCapabilities.Find("doubao-seedream-4-5-251128"), SeedreamModelCapabilities.Find("seedream-4-5-251128"));
        Assert.Same(SeedreamModelCapabilities.Find(SeedreamModels.Seedream50Lite), SeedreamModelCapabilities.Find(SeedreamModels.BytePlusSeedream50LiteAlias));
        Assert.NotNull(SeedreamModelCapabilities.Find(SeedreamModels.BytePlusSeedream50Pro));
        Assert.Null(SeedreamModelCapabilities.Find("ep-123"));
        Assert.Equal(14, SeedreamModelCapabilities.Find(SeedreamModels.Seedream40)!.MaxReferenceImages);
    }

    [Fact]
    public async Task InvalidRequestNeverReachesTheNetwork()
    {
        await using var server = await CannedHttpServer.StartAsync(200, "application/json", "{}"u8.ToArray());
        var client = new SeedreamClient(TestSupport.Options(new Uri(server.BaseAddress, "api/v3")));

        var error = await Assert.ThrowsAsync<SeedreamException>(() =>
            client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "p", Size = "1K" }));

        Assert.Equal(400, error.Status);
        Assert.Equal("InvalidParameter", error.ErrorCode);
        Assert.Equal("size", error.Param);
        Assert.False(error.MayHaveReachedServer);
        Assert.False(error.IsTransient);
        Assert.Equal(0, server.RequestCount);
    }
}
