using System.Text.Json;

namespace Seedream.Tests;

public sealed class RequestSerializationTests
{
    public static TheoryData<string> Examples => new(TestSupport.ExampleFiles);

    [Theory]
    [MemberData(nameof(Examples))]
    public void ProviderExamplesRoundTripWithoutLoss(string file)
    {
        var json = TestSupport.ReadExample(file);

        var request = ImageGenerationRequest.FromJson(json);
        var serialized = request.ToJson();

        using var original = JsonDocument.Parse(json);
        using var roundTripped = JsonDocument.Parse(serialized);
        Assert.True(JsonElement.DeepEquals(original.RootElement, roundTripped.RootElement), $"{file} changed:\n{json}\n---\n{serialized}");
        Assert.Equal(SeedreamModels.Seedream50Lite, request.Model);
        Assert.Empty(ImageGenerationRequestValidator.Validate(request));
    }

    [Fact]
    public void ImageKeepsItsShapeAndPromptStaysReadable()
    {
        var single = ImageGenerationRequest.FromJson(TestSupport.ReadExample("image-to-image.json"));
        var list = ImageGenerationRequest.FromJson(TestSupport.ReadExample("multi-image-fusion.json"));

        Assert.True(single.Image!.IsSingle);
        Assert.Equal("https://example.com/source.png", Assert.Single(single.Image));
        Assert.False(list.Image!.IsSingle);
        Assert.Equal(2, list.Image.Count);
        Assert.Contains("\"image\":\"https://example.com/source.png\"", single.ToJson());
        Assert.Contains("保持主体姿态", single.ToJson());

        var oneElementArray = new ImageGenerationRequest { Model = "m", Prompt = "p", Image = new[] { "https://a.example/x.png" } };
        Assert.Contains("\"image\":[\"https://a.example/x.png\"]", oneElementArray.ToJson());
    }

    [Fact]
    public void EveryContractFieldIsSnakeCaseAndNullsAreOmitted()
    {
        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream50Pro,
            Prompt = "p",
            Image = "data:image/png;base64,iVBORw0KGgo=",
            Size = "1024x1024",
            Seed = 42,
            GuidanceScale = 2.5,
            SequentialImageGeneration = "auto",
            SequentialImageGenerationOptions = new SequentialImageGenerationOptions { MaxImages = 4 },
            EnableStreaming = true,
            ResponseFormat = "b64_json",
            OutputFormat = "png",
            Watermark = false,
            OptimizePromptOptions = new OptimizePromptOptions { Mode = "fast", Thinking = "auto" },
            Tools = [new ImageGenerationTool { Type = ImageGenerationTool.WebSearch }],
            LayerDecomposition = true,
            Background = "transparent",
        };

        using var document = JsonDocument.Parse(request.ToJson());
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Equal(
            new HashSet<string>
            {
                "model", "prompt", "image", "size", "seed", "guidance_scale", "sequential_image_generation", "sequential_image_generation_options",
                "stream", "response_format", "output_format", "watermark", "optimize_prompt_options", "tools", "layer_decomposition", "background",
            },
            names);
        Assert.Equal(4, document.RootElement.GetProperty("sequential_image_generation_options").GetProperty("max_images").GetInt32());
        Assert.Equal("auto", document.RootElement.GetProperty("optimize_prompt_options").GetProperty("thinking").GetString());
        Assert.Equal("{\"model\":\"m\"}", new ImageGenerationRequest { Model = "m" }.ToJson());
    }

    [Fact]
    public void UnknownFieldsArePassedThroughAtEveryLevel()
    {
        const string json = """
            {"model":"gateway-seedream","prompt":"p","n":2,"user":{"id":7},"optimize_prompt":true,
             "sequential_image_generation_options":{"max_images":3,"future":"x"},
             "optimize_prompt_options":{"mode":"standard","extra":[1,2]},
             "tools":[{"type":"web_search","region":"cn"}]}
            """;

        var request = ImageGenerationRequest.FromJson(json);

        Assert.Equal(3, request.AdditionalProperties!.Count);
        using var original = JsonDocument.Parse(json);
        using var roundTripped = JsonDocument.Parse(request.ToJson());
        Assert.True(JsonElement.DeepEquals(original.RootElement, roundTripped.RootElement), request.ToJson());
    }

    [Fact]
    public void MalformedRequestJsonIsAValidationErrorWithThePath()
    {
        var error = Assert.Throws<SeedreamException>(() => ImageGenerationRequest.FromJson("""{"model":"m","image":[1]}"""));

        Assert.Equal(400, error.Status);
        Assert.False(error.MayHaveReachedServer);
        Assert.Contains("image", Assert.Single(error.ValidationErrors).Param);
    }

    [Fact]
    public void SerializerOptionsAreSharedAndReadOnly()
    {
        Assert.True(SeedreamJson.Options.IsReadOnly);
        Assert.Equal(JsonNamingPolicy.SnakeCaseLower, SeedreamJson.Options.PropertyNamingPolicy);
    }
}
