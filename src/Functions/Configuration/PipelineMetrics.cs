using System.Diagnostics.Metrics;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Configuration;

/// <summary>
/// The pipeline's metrics on the Meter <c>Seedream.Functions</c> (<see cref="PipelineTelemetry.ActivitySourceName"/>):
/// jobs by outcome, images and bytes stored, Seedream generation time, and cost by currency.
/// </summary>
public sealed class PipelineMetrics
{
    public const string MeterName = PipelineTelemetry.ActivitySourceName;
    public const string JobsName = "seedream.jobs";
    public const string ImagesStoredName = "seedream.images.stored";
    public const string ImagesStoredBytesName = "seedream.images.stored.bytes";
    public const string GenerationDurationName = "seedream.generation.duration";
    public const string JobsCostName = "seedream.jobs.cost";

    private readonly Counter<long> _jobs;
    private readonly Counter<long> _imagesStored;
    private readonly Counter<long> _bytesStored;
    private readonly Histogram<double> _generationDuration;
    private readonly Counter<double> _cost;

    public PipelineMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        // The factory owns (and disposes) the meter; its scope lets a test listen to one service provider's meter only.
        var meter = meterFactory.Create(MeterName);
        _jobs = meter.CreateCounter<long>(JobsName, "{job}", "Jobs ended, by outcome (the job's terminal status).");
        _imagesStored = meter.CreateCounter<long>(ImagesStoredName, "{image}", "Images stored into blobs.");
        _bytesStored = meter.CreateCounter<long>(ImagesStoredBytesName, "By", "Bytes of images stored into blobs.");
        _generationDuration = meter.CreateHistogram<double>(GenerationDurationName, "s",
            "Seedream generation calls, from sending the request until the whole answer was read and stored.");
        _cost = meter.CreateCounter<double>(JobsCostName, "{currency}", "Cost of ended jobs, by currency (estimated where usage was lost).");
    }

    /// <summary>Counted once per job, when its terminal event is published.</summary>
    public void JobEnded(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _jobs.Add(1, new KeyValuePair<string, object?>("outcome", JobStatusNames.NameOf(job.Status)));
        if (job.Cost is { } cost)
        {
            _cost.Add((double)cost.Amount, new KeyValuePair<string, object?>("currency", cost.Currency));
        }
    }

    public void ImageStored(StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _imagesStored.Add(1);
        _bytesStored.Add(image.Bytes);
    }

    public void GenerationFinished(TimeSpan duration, string? model) =>
        _generationDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("model", model));
}
