using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Submissions;

/// <summary>
/// The small message that points the queue function at an existing job: <c>{"id":…,"traceparent":…}</c>.
/// Jobs submitted over HTTP keep their request in the job record because queue messages are limited to 64 KB.
/// </summary>
public sealed record JobReferenceMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("traceparent")] string? TraceParent)
{
    public string ToJson() => JsonSerializer.Serialize(this, ReferenceJson);

    /// <summary>True for an object holding a string <c>id</c> and nothing else besides <c>traceparent</c>.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> text, out JobReferenceMessage message)
    {
        message = null!;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !SubmissionIntake.JobIdPattern().IsMatch(id.GetString()!))
            {
                return false;
            }

            string? traceParent = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("traceparent") && property.Value.ValueKind == JsonValueKind.String)
                {
                    traceParent = property.Value.GetString();
                }
                else if (!property.NameEquals("id"))
                {
                    return false;
                }
            }

            message = new JobReferenceMessage(id.GetString()!, traceParent);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, or a string the reader cannot decode (an unpaired surrogate): not a reference; the intake words why.
            return false;
        }
    }

    private static readonly JsonSerializerOptions ReferenceJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
}

/// <summary>
/// Producer side of the queues that run jobs (base64 messages, see <see cref="PipelineQueueEncoding"/>):
/// <c>generation-requests</c>, and <c>batch-generation-requests</c> for a batch's jobs, so that a job sent back to
/// wait (the watchdog, a rate-limit wait) stays on its own queue and keeps its priority.
/// </summary>
public class GenerationQueue
{
    // Azure Queue Storage caps the initial invisibility at seven days.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    private readonly PipelineStorage _storage;
    private readonly QueueClient _batchJobs;

    public GenerationQueue(PipelineStorage storage, QueueServiceClient queues, IOptions<BatchStorageOptions> batchNames)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _storage = storage;
        _batchJobs = queues.GetQueueClient(batchNames.Value.BatchGenerationRequestsQueue);
    }

    /// <summary>Enqueues a reference to <paramref name="jobId"/> on <c>generation-requests</c>, visible after <paramref name="delay"/>.</summary>
    public virtual async Task EnqueueAsync(string jobId, string? traceParent, TimeSpan? delay, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await SendAsync(_storage.GenerationRequests, new JobReferenceMessage(jobId, traceParent), delay, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Enqueues a reference to <paramref name="job"/> on the queue it runs from (a batch's jobs on their own).</summary>
    public virtual Task EnqueueAsync(GenerationJob job, TimeSpan? delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Batch is null
            ? EnqueueAsync(job.Id, job.TraceParent, delay, cancellationToken)
            : SendAsync(_batchJobs, new JobReferenceMessage(job.Id, job.TraceParent), delay, cancellationToken);
    }

    private static Task SendAsync(QueueClient queue, JobReferenceMessage message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        var visibility = delay is { } d ? TimeSpan.FromSeconds(Math.Ceiling(Math.Clamp(d.TotalSeconds, 0, MaxDelay.TotalSeconds))) : (TimeSpan?)null;
        return queue.SendMessageAsync(message.ToJson(), visibility, cancellationToken: cancellationToken);
    }
}
