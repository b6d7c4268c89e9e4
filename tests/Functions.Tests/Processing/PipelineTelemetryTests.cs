using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Seedream.Functions.Configuration;
using Seedream.Functions.Events;

namespace Seedream.Functions.Tests.Processing;

/// <summary>One job's trace and metrics, as an OpenTelemetry exporter receives them.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineTelemetryTests(PipelineFixture fixture)
{
    private static readonly ActivitySource Caller = new("Seedream.Functions.Tests.Caller");

    [Fact]
    public async Task One_job_is_one_trace_submission_delivery_Seedream_call_each_blob_then_the_event()
    {
        var spans = new List<Activity>();
        var exportedMetrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(PipelineTelemetry.ActivitySourceName, Caller.Name)
            .AddInMemoryExporter(spans)
            .Build();
        using var metering = Sdk.CreateMeterProviderBuilder()
            .AddMeter(PipelineMetrics.MeterName)
            .AddInMemoryExporter(exportedMetrics)
            .Build();
        await using var harness = fixture.CreateHarness();
        using var recorded = new ScopedMetrics(harness.Services.GetRequiredService<IMeterFactory>());

        // The caller's span stands for the Functions host's HTTP request span: the submission carries its context.
        string id;
        ActivityTraceId traceId;
        using (var submission = Caller.StartActivity("POST /api/generations", ActivityKind.Server)!)
        {
            traceId = submission.TraceId;
            var accepted = await harness.SubmitAsync(TestRequests.Create("2 images of a lighthouse", maxImages: 2));
            id = accepted.Json.GetProperty("id").GetString()!;
        }

        await harness.RunQueuesAsync();
        tracing.ForceFlush();

        var trace = spans.Where(s => s.TraceId == traceId).ToList();
        var root = Assert.Single(trace, s => s.OperationName == "POST /api/generations");
        // The HTTP submission has its own span, and the job's trace context is that span's: its work hangs under it.
        var submit = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.SubmitGenerationActivity);
        Assert.Equal(root.SpanId, submit.ParentSpanId);
        Assert.Equal(id, submit.GetTagItem(PipelineTelemetry.JobIdTag));
        var delivery = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.ProcessGenerationActivity);
        Assert.Equal(submit.SpanId, delivery.ParentSpanId);
        Assert.Equal(id, delivery.GetTagItem(PipelineTelemetry.JobIdTag));
        var call = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.SeedreamGenerateActivity);
        Assert.Equal(delivery.SpanId, call.ParentSpanId);
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(TestRequests.Model, call.GetTagItem(PipelineTelemetry.ModelTag));
        var blobs = trace.Where(s => s.OperationName == PipelineTelemetry.StoreImageActivity).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal([0, 1], blobs.Select(s => Convert.ToInt32(s.GetTagItem(PipelineTelemetry.ImageIndexTag), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(blobs, blob => Assert.Equal(call.SpanId, blob.ParentSpanId));
        var publish = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.PublishEventActivity);
        Assert.Equal(delivery.SpanId, publish.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(JobEventPublisher.CompletedType, publish.GetTagItem(PipelineTelemetry.EventTypeTag));
        Assert.True(publish.StartTimeUtc >= blobs[^1].StartTimeUtc + blobs[^1].Duration);
        // The event's distributed-tracing extension continues the same trace.
        var cloudEvent = Assert.Single(harness.EventsFor(id));
        Assert.Contains(traceId.ToHexString(), (string)cloudEvent.ExtensionAttributes["traceparent"], StringComparison.Ordinal);

        var job = (await harness.GetJobAsync(id)).Json;
        var bytes = job.GetProperty("images").EnumerateArray().Sum(i => i.GetProperty("bytes").GetInt64());
        Assert.Equal(1, recorded.Sum(PipelineMetrics.JobsName, ("outcome", "succeeded")));
        Assert.Equal(0, recorded.Sum(PipelineMetrics.JobsName, ("outcome", "failed")));
        Assert.Equal(2, recorded.Sum(PipelineMetrics.ImagesStoredName));
        Assert.Equal(bytes, recorded.Sum(PipelineMetrics.ImagesStoredBytesName));
        Assert.Equal(0.40, recorded.Sum(PipelineMetrics.JobsCostName, ("currency", "CNY")), precision: 6);
        var duration = Assert.Single(recorded.Values(PipelineMetrics.GenerationDurationName));
        Assert.InRange(duration, 0.0001, 60);
        Assert.True(duration >= call.Duration.TotalSeconds * 0.5, $"{duration} s recorded for a call span of {call.Duration.TotalSeconds} s");

        metering.ForceFlush();
        Assert.Superset(
            new HashSet<string> { PipelineMetrics.JobsName, PipelineMetrics.ImagesStoredName, PipelineMetrics.ImagesStoredBytesName, PipelineMetrics.GenerationDurationName, PipelineMetrics.JobsCostName },
            exportedMetrics.Select(m => m.Name).ToHashSet());
        Assert.Equal("By", exportedMetrics.First(m => m.Name == PipelineMetrics.ImagesStoredBytesName).Unit);
        Assert.Equal("s", exportedMetrics.First(m => m.Name == PipelineMetrics.GenerationDurationName).Unit);
    }

    /// <summary>Measurements of one service provider's meters only (other harnesses may run jobs at the same time).</summary>
    private sealed class ScopedMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

        public ScopedMetrics(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PipelineMetrics.MeterName && instrument.Meter.Scope == scope)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public double Sum(string name, params (string Key, string Value)[] tags)
        {
            lock (_measurements)
            {
                return _measurements
                    .Where(m => m.Name == name && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value, t.Value))))
                    .Sum(m => m.Value);
            }
        }

        public List<double> Values(string name)
        {
            lock (_measurements)
            {
                return [.. _measurements.Where(m => m.Name == name).Select(m => m.Value)];
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, tags.ToArray()));
            }
        }
    }
}
