using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Seedream.Tests;

/// <summary>What a caller of the package relies on: extensible enums, the model factory, DI and disposal.</summary>
public sealed class PublicSurfaceTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Fact]
    public void Extensible_enums_compare_ignoring_case_convert_from_strings_and_serialize_as_written()
    {
        SeedreamOutputFormat png = "PNG";
        Assert.Equal(SeedreamOutputFormat.Png, png);
        Assert.True(png == "png");
        Assert.NotEqual(SeedreamOutputFormat.Jpeg, png);
        Assert.Equal("image/png", png.MediaType);
        Assert.Equal("webp", new SeedreamOutputFormat("webp").ToString());
        Assert.Equal(SeedreamImageSize.FromPixels(2560, 1440), (SeedreamImageSize)"2560x1440");
        Assert.True(SeedreamImageSize.FromPixels(2560, 1440).TryGetPixels(out var width, out var height));
        Assert.Equal((2560, 1440), (width, height));
        Assert.False(SeedreamImageSize.FourK.TryGetPixels(out _, out _));
        Assert.Throws<ArgumentNullException>(() => new SeedreamResponseFormat(null!));

        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream50Lite,
            Prompt = "p",
            Size = SeedreamImageSize.FourK,
            ResponseFormat = SeedreamResponseFormat.Base64Json,
            OutputFormat = "png",
            SequentialImageGeneration = SequentialImageGenerationMode.Disabled,
            EnableStreaming = true,
        };
        var json = JsonDocument.Parse(request.ToJson()).RootElement;
        Assert.Equal("4K", json.GetProperty("size").GetString());
        Assert.Equal("b64_json", json.GetProperty("response_format").GetString());
        Assert.Equal("disabled", json.GetProperty("sequential_image_generation").GetString());
        Assert.True(json.GetProperty("stream").GetBoolean());
        Assert.Equal(SeedreamImageSize.FourK, ImageGenerationRequest.FromJson(request.ToJson()).Size);
        Assert.Null(typeof(ImageGenerationRequest).GetProperty("Stream"));
    }

    [Fact]
    public async Task The_model_factory_builds_a_readable_response_for_callers_tests()
    {
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3 };
        var response = SeedreamModelFactory.ImageGenerationResponse(
            [
                SeedreamModelFactory.GeneratedImage(0, content: png, size: "2048x2048", outputFormat: SeedreamOutputFormat.Png),
                SeedreamModelFactory.GeneratedImage(1, error: SeedreamModelFactory.ImageGenerationError("OutputImageSensitiveContentDetected", "moderated")),
            ],
            model: SeedreamModels.Seedream50Lite,
            usage: SeedreamModelFactory.ImageGenerationUsage(generatedImages: 1, outputTokens: 16384));

        var images = await TestSupport.ReadAllImagesAsync(response);

        Assert.Equal(png, await TestImages.ReadAllAsync(images[0]));
        Assert.Equal("image/png", images[0].ContentType);
        Assert.Equal(2048, images[0].Width);
        Assert.False(images[1].Succeeded);
        Assert.Equal(1, response.Usage!.GeneratedImages);
        Assert.Equal(16384, response.Usage.TotalTokens);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await TestSupport.ReadAllImagesAsync(response));

        var error = SeedreamModelFactory.SeedreamException(503, "model_not_found", "no channel");
        Assert.False(error.IsTransient);
        Assert.Contains("GET /models", error.Advice);
        Assert.Equal("m", SeedreamModelFactory.SeedreamModelInfo("m", ownedBy: "x").Id);
    }

    [Fact]
    public async Task Two_keyed_clients_for_two_providers_and_an_unkeyed_one_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Seedream:BaseUrls:0"] = emulator.Server.ArkBaseUrl.ToString(),
            ["Seedream:ApiKey"] = TestSupport.ApiKey,
            ["Gateway:BaseUrls:0"] = emulator.Server.GatewayBaseUrl.ToString(),
            ["Gateway:ApiKey"] = TestSupport.ApiKey,
        }).Build();
        var services = new ServiceCollection();
        services.AddSeedreamClient(configuration.GetSection("Seedream"));
        // A second call amends the options (the options pattern) but registers no second client (TryAdd).
        services.AddSeedreamClient(options => options.MaxRateLimitRetries = 7);
        services.AddKeyedSeedreamClient("ark", configuration.GetSection("Seedream"));
        services.AddKeyedSeedreamClient("gateway", configuration.GetSection("Gateway"));
        await using var provider = services.BuildServiceProvider();

        var ark = provider.GetRequiredKeyedService<SeedreamClient>("ark");
        var gateway = provider.GetRequiredKeyedService<SeedreamClient>("gateway");
        Assert.NotSame(ark, gateway);
        Assert.Single(provider.GetServices<SeedreamClient>());
        Assert.Contains("MaxRateLimitRetries = 7", provider.GetRequiredService<SeedreamClient>().ToString());
        Assert.Contains("MaxRateLimitRetries = 3", ark.ToString());

        emulator.Server.ClearRequests();
        await ark.GetModelsAsync();
        await gateway.GetModelsAsync();
        Assert.Equal(["/api/v3/models", "/v1/models"], emulator.Server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task Invalid_keyed_options_fail_at_start_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddKeyedSeedreamClient("broken", options => options.ApiKey = "k");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<SeedreamClient>("broken"));
        Assert.Contains("Seedream:BaseUrls", error.Message);
    }

    [Fact]
    public async Task A_client_that_owns_its_handlers_releases_them_on_dispose()
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));
        Assert.NotEmpty(await client.GetModelsAsync());

        client.Dispose();
        client.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetModelsAsync());
    }
}
