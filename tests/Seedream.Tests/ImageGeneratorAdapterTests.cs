#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI; these tests exercise it on purpose.
using System.Diagnostics;
using System.Drawing;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Extensions.AI;

namespace Seedream.Tests;

/// <summary>The IImageGenerator adapter through real Microsoft.Extensions.AI pipelines against the emulator.</summary>
public sealed class ImageGeneratorAdapterTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    private const string Lite = SeedreamModels.Seedream50Lite;

    private SeedreamClient Client() => new(TestSupport.Options(emulator.Server.ArkBaseUrl));

    private JsonElement LastGenerationBody() =>
        JsonDocument.Parse(emulator.Server.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal)).Body!).RootElement;

    [Fact]
    public async Task Group_through_an_OpenTelemetry_pipeline_maps_count_size_media_type_and_usage()
    {
        using var client = Client();
        var spans = new List<Activity>();
        using var listener = Listen(spans, "adapter-test", SeedreamTelemetry.ActivitySourceName);
        using var generator = new ImageGeneratorBuilder(client.AsImageGenerator(Lite))
            .UseOpenTelemetry(sourceName: "adapter-test")
            .Build();

        var response = await generator.GenerateImagesAsync("a lighthouse in four seasons", new ImageGenerationOptions
        {
            Count = 3,
            ImageSize = new Size(2048, 2048),
            MediaType = "image/png",
        });

        var images = response.Contents.OfType<DataContent>().ToList();
        Assert.Equal(3, images.Count);
        Assert.All(images, image =>
        {
            Assert.Equal("image/png", image.MediaType);
            Assert.Equal((2048, 2048), TestImages.ReadSize(image.Data.ToArray()));
        });
        Assert.Equal(3, response.Usage!.AdditionalCounts!["generated_images"]);
        Assert.Equal(3L * 2048 * 2048 / 256, response.Usage.OutputTokenCount);

        var sent = LastGenerationBody();
        Assert.Equal("auto", sent.GetProperty("sequential_image_generation").GetString());
        Assert.Equal(3, sent.GetProperty("sequential_image_generation_options").GetProperty("max_images").GetInt32());
        Assert.Equal("2048x2048", sent.GetProperty("size").GetString());
        Assert.Equal("png", sent.GetProperty("output_format").GetString());
        Assert.Equal("b64_json", sent.GetProperty("response_format").GetString());

        // Other test classes run in parallel and report to the same source while this one reads: read a copy.
        Activity[] stopped;
        lock (spans)
        {
            stopped = [.. spans];
        }

        // MEAI's span wraps the client's own span.
        var outer = Assert.Single(stopped, span => span.Source.Name == "adapter-test");
        // This call's span is the one in MEAI's trace.
        var inner = Assert.Single(stopped, span => span.Source.Name == SeedreamTelemetry.ActivitySourceName && span.TraceId == outer.TraceId);
        Assert.Equal(outer.SpanId, inner.ParentSpanId);
        Assert.Equal(3, inner.GetTagItem("seedream.response.images"));
    }

    [Fact]
    public async Task Uri_format_returns_the_result_urls_and_keyword_sizes_come_from_additional_properties()
    {
        using var client = Client();
        var generator = client.AsImageGenerator(Lite);

        var response = await generator.GenerateImagesAsync("a kite", new ImageGenerationOptions
        {
            ResponseFormat = ImageGenerationResponseFormat.Uri,
            AdditionalProperties = new() { ["size"] = "3K" },
        });

        var image = Assert.IsType<UriContent>(Assert.Single(response.Contents));
        Assert.Equal(emulator.Server.BaseAddress.Authority, image.Uri.Authority);
        Assert.Equal("image/jpeg", image.MediaType);
        Assert.Equal("3K", LastGenerationBody().GetProperty("size").GetString());
        Assert.Equal("url", LastGenerationBody().GetProperty("response_format").GetString());
    }

    [Fact]
    public async Task Original_images_become_lowercase_data_uris_and_count_leaves_room_for_them()
    {
        using var client = Client();
        using var http = new HttpClient();
        var png = await http.GetByteArrayAsync(emulator.Server.ReferenceImageUrl("adapter", 1024, 1024));

        var response = await client.AsImageGenerator(Lite).EditImagesAsync(
            [new DataContent(png, "Image/PNG"), new DataContent(png, "image/png")], "blend the two", new ImageGenerationOptions { Count = 15 });

        Assert.NotEmpty(response.Contents.OfType<DataContent>());
        var sent = LastGenerationBody();
        Assert.All(sent.GetProperty("image").EnumerateArray(), reference => Assert.StartsWith("data:image/png;base64,", reference.GetString()));
        Assert.Equal(13, sent.GetProperty("sequential_image_generation_options").GetProperty("max_images").GetInt32());
    }

    [Fact]
    public async Task A_failed_item_of_a_group_is_error_content_and_the_other_images_are_kept()
    {
        using var client = Client();

        var response = await client.AsImageGenerator(Lite).GenerateImagesAsync(
            "three frames [emulator-fault:moderation;indexes=1]", new ImageGenerationOptions { Count = 3 });

        Assert.Equal(3, response.Contents.Count);
        Assert.IsType<DataContent>(response.Contents[0]);
        var failed = Assert.IsType<ErrorContent>(response.Contents[1]);
        Assert.Equal("OutputImageSensitiveContentDetected", failed.ErrorCode);
        Assert.IsType<DataContent>(response.Contents[2]);
        Assert.Equal(2, response.Usage!.AdditionalCounts!["generated_images"]);
    }

    [Fact]
    public async Task Raw_representation_factory_carries_every_other_seedream_field()
    {
        using var client = Client();

        await client.AsImageGenerator().GenerateImagesAsync("a red kite", new ImageGenerationOptions
        {
            RawRepresentationFactory = _ => new Seedream.ImageGenerationRequest
            {
                Model = SeedreamModels.Seedream40,
                Watermark = false,
                OptimizePromptOptions = new OptimizePromptOptions { Mode = "fast" },
                Size = SeedreamImageSize.OneK,
            },
        });

        var sent = LastGenerationBody();
        Assert.Equal(SeedreamModels.Seedream40, sent.GetProperty("model").GetString());
        Assert.False(sent.GetProperty("watermark").GetBoolean());
        Assert.Equal("fast", sent.GetProperty("optimize_prompt_options").GetProperty("mode").GetString());
        Assert.Equal("1K", sent.GetProperty("size").GetString());
    }

    [Theory]
    [InlineData(Lite, "image/webp")]
    [InlineData(SeedreamModels.Seedream45, "image/png")]
    public async Task Media_types_the_model_cannot_produce_are_refused_before_any_call(string model, string mediaType)
    {
        using var client = Client();
        var prompt = EmulatorFixture.MarkedPrompt("a kite");

        await Assert.ThrowsAsync<NotSupportedException>(() =>
            client.AsImageGenerator(model).GenerateImagesAsync(prompt, new ImageGenerationOptions { MediaType = mediaType }));

        Assert.Equal(0, emulator.GenerationPosts(prompt));
    }

    [Fact]
    public async Task Sizes_outside_the_models_pixel_range_and_http_references_are_refused_before_any_call()
    {
        using var client = Client();
        var generator = client.AsImageGenerator(SeedreamModels.Seedream45);
        var prompt = EmulatorFixture.MarkedPrompt("a kite");

        var small = await Assert.ThrowsAsync<SeedreamException>(() =>
            generator.GenerateImagesAsync(prompt, new ImageGenerationOptions { ImageSize = new Size(1024, 1024) }));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.EditImagesAsync([new UriContent(new Uri("http://example.com/a.png"), "image/png")], prompt));

        Assert.Equal("size", small.Param);
        Assert.Equal(0, emulator.GenerationPosts(prompt));
    }

    [Fact]
    public async Task DI_registration_composes_with_the_builder_middleware_and_keyed_clients()
    {
        var services = new ServiceCollection();
        services.AddKeyedSeedreamClient("gateway", options =>
        {
            options.BaseUrls.Add(emulator.Server.GatewayBaseUrl);
            options.ApiKey = TestSupport.ApiKey;
            options.Downloads.AllowHttp = true;
            options.Downloads.AllowPrivateNetworks = true;
        });
        services.AddSeedreamImageGenerator(Lite, clientKey: "gateway")
            .ConfigureOptions(options => options.MediaType ??= "image/png")
            .UseLogging()
            .UseOpenTelemetry();
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IImageGenerator>();
        var response = await generator.GenerateImagesAsync("a harbour at night");

        Assert.Equal("image/png", Assert.IsType<DataContent>(Assert.Single(response.Contents)).MediaType);
        Assert.Same(provider.GetRequiredKeyedService<SeedreamClient>("gateway"), generator.GetService<SeedreamClient>());
        Assert.Equal("/v1/images/generations", emulator.Server.Requests.Last(r => r.Method == "POST").Path);
        Assert.Equal("seedream", generator.GetService<ImageGeneratorMetadata>()!.ProviderName);
    }

    private static ActivityListener Listen(List<Activity> spans, params string[] sources)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
