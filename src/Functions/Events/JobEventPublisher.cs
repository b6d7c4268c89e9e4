using System.Diagnostics;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Events;

/// <summary>Publishes the job's CloudEvents 1.0 to Event Grid.</summary>
public class JobEventPublisher
{
    // The terminal types are the outcome table's (Jobs/JobOutcomes.cs); a new outcome's type is written there only.
    public const string CompletedType = JobOutcomes.CompletedEventType;
    public const string FailedType = JobOutcomes.FailedEventType;
    public const string CancelledType = JobOutcomes.CancelledEventType;
    public const string ExpiredType = JobOutcomes.ExpiredEventType;
    public const string ImageStoredType = "Seedream.Image.Stored";

    private readonly EventGridPublisherClient _client;
    private readonly EventGridOptions _options;

    public JobEventPublisher(EventGridPublisherClient client, IOptions<EventGridOptions> options)
    {
        _client = client;
        _options = options.Value;
    }

    public bool PublishesImageStoredEvents => _options.PublishImageStoredEvents;

    /// <summary>The terminal event's type for a terminal status.</summary>
    public static string TerminalTypeFor(JobStatus status) => JobOutcomeRules.TerminalEventType(status);

    /// <summary>Stable per job and outcome, so a republish after a crash carries the same id: <c>{jobId}.completed</c>, <c>.failed</c>, <c>.cancelled</c>, <c>.expired</c>.</summary>
    public static string TerminalEventId(string jobId, string type) =>
        $"{jobId}.{type[(type.LastIndexOf('.') + 1)..].ToLowerInvariant()}";

    public virtual async Task PublishTerminalAsync(GenerationJob job, CancellationToken cancellationToken) =>
        await SendAsync(CreateTerminalEvent(job), cancellationToken).ConfigureAwait(false);

    /// <summary>The job's terminal CloudEvent, as Event Grid and the job's callback get it.</summary>
    public CloudEvent CreateTerminalEvent(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var terminal = job.TerminalEvent ?? throw new InvalidOperationException($"Job {job.Id} has no terminal event to publish.");
        var data = new ImageSeriesEventData(
            job.Id,
            job.Status,
            Model(job),
            [.. job.Images.Select(i => new ImageEventData(i.Index, i.BlobUrl, i.ContentType, i.Size, i.Width, i.Height, i.Bytes))],
            job.Failures,
            job.Usage,
            job.Cost,
            job.Error,
            job.Metadata,
            job.SourceBlob,
            job.Batch);
        return Create(job, terminal.Id, terminal.Type, data);
    }

    public virtual async Task PublishImageStoredAsync(GenerationJob job, StoredImage image, CancellationToken cancellationToken) =>
        await SendAsync(CreateImageStoredEvent(job, image), cancellationToken).ConfigureAwait(false);

    /// <summary>One stored image's CloudEvent, as Event Grid and the job's callback get it.</summary>
    public CloudEvent CreateImageStoredEvent(GenerationJob job, StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(image);
        var data = new ImageStoredEventData(job.Id, Model(job), new ImageEventData(image.Index, image.BlobUrl, image.ContentType, image.Size, image.Width, image.Height, image.Bytes), job.Metadata);
        return Create(job, ImageStoredEventId(job.Id, image.Index), ImageStoredType, data);
    }

    /// <summary>Stable per job and image: <c>{jobId}.image.{index}</c>.</summary>
    public static string ImageStoredEventId(string jobId, int index) => $"{jobId}.image.{index}";

    /// <summary>Publishes an event made elsewhere (a callback that gave up) on the pipeline's topic.</summary>
    public virtual Task PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken) => SendAsync(cloudEvent, cancellationToken);

    public string Source => _options.Source;

    private CloudEvent Create<T>(GenerationJob job, string id, string type, T data)
    {
        // Json format: "data" is the JSON object itself rather than "data_base64", as webhook and Logic Apps consumers expect.
        var cloudEvent = new CloudEvent(_options.Source, type, BinaryData.FromObjectAsJson(data, JobJson.Options), "application/json", CloudEventDataFormat.Json)
        {
            Id = id,
            Subject = $"generations/{job.Id}",
        };

        // The event continues the job's trace (distributed tracing extension), so consumers join the same operation.
        var traceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : job.TraceParent;
        if (traceParent is not null)
        {
            cloudEvent.ExtensionAttributes["traceparent"] = traceParent;
        }

        return cloudEvent;
    }

    private async Task SendAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        using var activity = PipelineTelemetry.ActivitySource.StartActivity(PipelineTelemetry.PublishEventActivity, ActivityKind.Producer);
        activity?.SetTag(PipelineTelemetry.EventTypeTag, cloudEvent.Type);
        activity?.SetTag(PipelineTelemetry.EventIdTag, cloudEvent.Id);
        await _client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private static string? Model(GenerationJob job) => job.Answer?.Model ?? job.Request?.Model;
}

public sealed record ImageEventData(int Index, Uri BlobUrl, string ContentType, string? Size, int? Width, int? Height, long Bytes);

public sealed record ImageSeriesEventData(
    string JobId,
    JobStatus Status,
    string? Model,
    IReadOnlyList<ImageEventData> Images,
    IReadOnlyList<ImageFailure> Failures,
    JobUsage? Usage,
    JobCost? Cost,
    JobError? Error,
    IReadOnlyDictionary<string, string> Metadata,
    SourceBlob? SourceBlob = null,
    BatchLineReference? Batch = null);

public sealed record ImageStoredEventData(string JobId, string? Model, ImageEventData Image, IReadOnlyDictionary<string, string> Metadata);
