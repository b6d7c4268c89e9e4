using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Telemetry;

/// <summary>One JSON object per line, appended and flushed as written, so a local run's telemetry can be read (or tailed) while it runs.</summary>
public sealed class TelemetryFileWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public TelemetryFileWriter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public void Write(object line)
    {
        var json = JsonSerializer.Serialize(line, JobJson.Options);
        lock (_lock)
        {
            _writer.WriteLine(json);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }
}

/// <summary>Spans as JSON lines: <c>{"signal":"span","traceId",…}</c>.</summary>
public sealed class JsonLinesActivityExporter(TelemetryFileWriter writer) : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch)
        {
            writer.Write(new SpanLine(
                "span",
                activity.TraceId.ToHexString(),
                activity.SpanId.ToHexString(),
                activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(),
                activity.DisplayName,
                activity.Kind.ToString(),
                activity.Source.Name,
                activity.StartTimeUtc,
                activity.Duration.TotalMilliseconds,
                activity.Status.ToString(),
                activity.TagObjects.ToDictionary(tag => tag.Key, tag => tag.Value?.ToString())));
        }

        return ExportResult.Success;
    }

    private sealed record SpanLine(
        string Signal, string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Source,
        DateTime StartTime, double DurationMs, string Status, Dictionary<string, string?> Tags);
}

/// <summary>Metric points as JSON lines: <c>{"signal":"metric","name",…}</c>, one per point (counters' sums, histograms' count and sum).</summary>
public sealed class JsonLinesMetricExporter(TelemetryFileWriter writer) : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch)
    {
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, string?>();
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value?.ToString();
                }

                double? value = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    MetricType.Histogram => point.GetHistogramSum(),
                    _ => null,
                };
                long? count = metric.MetricType == MetricType.Histogram ? point.GetHistogramCount() : null;
                writer.Write(new MetricLine("metric", metric.Name, metric.MeterName, metric.Unit, metric.MetricType.ToString(), value, count, tags));
            }
        }

        return ExportResult.Success;
    }

    private sealed record MetricLine(string Signal, string Name, string Meter, string? Unit, string Type, double? Value, long? Count, Dictionary<string, string?> Tags);
}
