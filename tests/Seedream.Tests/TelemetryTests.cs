using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Seedream.Tests;

/// <summary>The listeners see the whole process, so these tests run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>The client's spans and metrics, observed with an ActivityListener and a MeterListener.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    private const string Prompt = "a secret lighthouse";

    [Fact]
    public async Task A_generation_is_one_span_with_GenAI_attributes_and_metrics_and_no_prompt()
    {
        using var capture = new Capture();
        using var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));
        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream50Lite,
            Prompt = Prompt,
            SequentialImageGeneration = SequentialImageGenerationMode.Auto,
            SequentialImageGenerationOptions = new() { MaxImages = 2 },
            ResponseFormat = SeedreamResponseFormat.Base64Json,
            OutputFormat = SeedreamOutputFormat.Png,
        };

        long bytes = 0;
        await using (var response = await client.GenerateImagesAsync(request))
        {
            Assert.Empty(capture.Spans); // The span lasts until the body has been read.
            await foreach (var image in response.ReadImagesAsync())
            {
                await using var content = await image.OpenReadAsync();
                using var copy = new MemoryStream();
                await content.CopyToAsync(copy);
                bytes += copy.Length;
            }
        }

        var span = Assert.Single(capture.Spans);
        Assert.Equal($"generate_content {SeedreamModels.Seedream50Lite}", span.DisplayName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("generate_content", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(SeedreamModels.Seedream50Lite, span.GetTagItem("gen_ai.request.model"));
        Assert.Equal(SeedreamModels.Seedream50Lite, span.GetTagItem("gen_ai.response.model"));
        Assert.Equal("image", span.GetTagItem("gen_ai.output.type"));
        Assert.Equal(2L * 2048 * 2048 / 256, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal("127.0.0.1", span.GetTagItem("server.address"));
        Assert.Equal(emulator.Server.BaseAddress.Port, span.GetTagItem("server.port"));
        Assert.Equal(2, span.GetTagItem("seedream.response.images"));
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Null(span.GetTagItem("gen_ai.input.messages"));
        Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains(Prompt, StringComparison.Ordinal) == true);

        Assert.Equal(2, capture.Sum("seedream.client.images", ("seedream.image.outcome", "succeeded")));
        Assert.Equal(bytes, capture.Sum("seedream.client.image.bytes"));
        Assert.Equal(2L * 2048 * 2048 / 256, capture.Sum("gen_ai.client.token.usage", ("gen_ai.token.type", "output")));
        var duration = Assert.Single(capture.Measurements, m => m.Instrument == "gen_ai.client.operation.duration");
        Assert.Equal(SeedreamModels.Seedream50Lite, duration.Tags["gen_ai.response.model"]);
        Assert.InRange(duration.Value, 0, 60);
    }

    [Fact]
    public async Task Prompts_are_recorded_only_when_the_caller_opts_in()
    {
        using var capture = new Capture();
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.EnableSensitiveTelemetryData = true;
        using var client = new SeedreamClient(options);

        await using (var response = await client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = Prompt }))
        {
            await TestSupport.ReadAllImagesAsync(response);
        }

        Assert.Contains(Prompt, (string)Assert.Single(capture.Spans).GetTagItem("gen_ai.input.messages")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_carry_error_type_on_the_span_and_the_duration()
    {
        using var capture = new Capture();
        using var client = new SeedreamClient(TestSupport.Options(emulator.Server.GatewayBaseUrl));

        await Assert.ThrowsAsync<SeedreamException>(() =>
            client.GenerateImagesAsync(new ImageGenerationRequest { Model = "no-such-model", Prompt = "p" }));

        var span = Assert.Single(capture.Spans);
        Assert.Equal("model_not_found", span.GetTagItem("error.type"));
        Assert.Equal(503, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        var duration = Assert.Single(capture.Measurements, m => m.Instrument == "gen_ai.client.operation.duration");
        Assert.Equal("model_not_found", duration.Tags["error.type"]);
    }

    [Fact]
    public async Task Failed_items_of_a_group_are_counted_apart_and_listing_models_is_a_span_too()
    {
        using var capture = new Capture();
        using var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        await using (var response = await client.GenerateImagesAsync(new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream45,
            Prompt = "three frames [emulator-fault:moderation;indexes=0]",
            SequentialImageGeneration = "auto",
            SequentialImageGenerationOptions = new() { MaxImages = 3 },
        }))
        {
            await TestSupport.ReadAllImagesAsync(response);
        }

        await client.GetModelsAsync();

        Assert.Equal(1, capture.Sum("seedream.client.images", ("seedream.image.outcome", "failed")));
        Assert.Equal(2, capture.Sum("seedream.client.images", ("seedream.image.outcome", "succeeded")));
        Assert.Equal("list_models", capture.Spans[^1].GetTagItem("gen_ai.operation.name"));
    }

    /// <summary>Everything the client reports while it is alive (tests of this class run one at a time).</summary>
    private sealed class Capture : IDisposable
    {
        private readonly ActivityListener _activities;
        private readonly MeterListener _meters = new();

        public Capture()
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == SeedreamTelemetry.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => { lock (Spans) { Spans.Add(activity); } },
            };
            ActivitySource.AddActivityListener(_activities);
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SeedreamTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.Start();
        }

        public List<Activity> Spans { get; } = [];

        public List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = [];

        public double Sum(string instrument, params (string Key, string Value)[] tags)
        {
            lock (Measurements)
            {
                return Measurements.Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);
            }
        }

        public void Dispose()
        {
            _activities.Dispose();
            _meters.Dispose();
        }

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (Measurements)
            {
                Measurements.Add((instrument.Name, value, copy));
            }
        }
    }
}
