using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Images;
using OpenAI.Models;
using SkiaSharp;

namespace SeedreamEmulator.Tests;

/// <summary>Acceptance: the official OpenAI .NET SDK talks to the emulator's gateway route as it would to a real relay.</summary>
public sealed class OpenAiSdkTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    private const string Model = "doubao-seedream-5-0-260128";

    private ImageClient CreateClient() =>
        new(Model, new ApiKeyCredential(host.Server.ApiKey), new OpenAIClientOptions { Endpoint = host.Server.GatewayBaseUrl });

    [Fact]
    public async Task Sdk_reads_inline_png_bytes()
    {
        var result = await CreateClient().GenerateImageAsync("a lighthouse at dawn", new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(2048, 2048),
            ResponseFormat = GeneratedImageFormat.Bytes,
#pragma warning disable OPENAI001 // Evaluation-only in the SDK, but it is how the SDK sends "output_format".
            OutputFileFormat = GeneratedImageFileFormat.Png,
#pragma warning restore OPENAI001
        });

        ImageAssert.Decodes(result.Value.ImageBytes.ToArray(), SKEncodedImageFormat.Png, 2048, 2048).Dispose();
        var sent = JsonDocument.Parse(host.Server.Requests.Last(request => request.Path == "/v1/images/generations").Body!).RootElement;
        Assert.Equal("2048x2048", sent.GetProperty("size").GetString());
        Assert.Equal("b64_json", sent.GetProperty("response_format").GetString());
        Assert.Equal("png", sent.GetProperty("output_format").GetString());
    }

    [Fact]
    public async Task Sdk_reads_a_url_that_downloads_as_jpeg()
    {
        var result = await CreateClient().GenerateImageAsync("a lighthouse at dusk", new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(2560, 1440),
            ResponseFormat = GeneratedImageFormat.Uri,
        });

        Assert.NotNull(result.Value.ImageUri);
        Assert.Equal(host.Server.BaseAddress.Authority, result.Value.ImageUri.Authority);
        ImageAssert.Decodes(await host.Http.GetByteArrayAsync(result.Value.ImageUri), SKEncodedImageFormat.Jpeg, 2560, 1440).Dispose();
    }

    [Fact]
    public async Task Sdk_protocol_method_sends_seedream_fields_for_a_group()
    {
        var body = EmulatorTestHost.Edit(EmulatorTestHost.Example("sequential-group"), request => request["response_format"] = "b64_json");

        var result = await CreateClient().GenerateImagesAsync(BinaryContent.Create(BinaryData.FromString(body)), new RequestOptions());

        var json = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement;
        Assert.Equal(3, json.GetProperty("data").GetArrayLength());
        var collection = ModelReaderWriter.Read<GeneratedImageCollection>(result.GetRawResponse().Content)!;
        Assert.Equal(3, collection.Count);
        Assert.All(collection, image => ImageAssert.Decodes(image.ImageBytes.ToArray(), SKEncodedImageFormat.Png, 2048, 2048).Dispose());
    }

    [Fact]
    public async Task Sdk_surfaces_the_gateway_model_not_found_error()
    {
        var client = new ImageClient("no-such-model", new ApiKeyCredential(host.Server.ApiKey), new OpenAIClientOptions { Endpoint = host.Server.GatewayBaseUrl });

        var exception = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateImageAsync("anything"));

        Assert.Equal(503, exception.Status);
        Assert.Contains("model_not_found", exception.Message);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("api/v3")]
    public async Task Sdk_lists_the_models_on_both_routes(string route)
    {
        var client = new OpenAIModelClient(new ApiKeyCredential(host.Server.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(host.Server.BaseAddress, route) });

        var models = (await client.GetModelsAsync()).Value;

        var lite = Assert.Single(models, model => model.Id == Model);
        Assert.Equal(new DateTimeOffset(2026, 1, 28, 0, 0, 0, TimeSpan.Zero), lite.CreatedAt);
        Assert.Equal("volcengine", lite.OwnedBy);
        Assert.Equal(route == "v1", models.Any(model => model.Id == "bytedance/seedream-4.0"));
    }
}
