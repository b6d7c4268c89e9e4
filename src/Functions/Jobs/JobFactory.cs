using Seedream.Functions.Drops;
using Seedream.Functions.Events;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Jobs;

/// <summary>Who holds the right to publish a terminal event, and until when (see <see cref="TerminalEvent"/>).</summary>
public sealed record EventClaim(string Owner, DateTimeOffset ExpiresAt);

/// <summary>
/// The one place job records are made and ended: every entry point (HTTP, queue, drop) creates its job here, and every
/// way a job ends (refused at intake, finished, failed, cancelled, expired) goes through <see cref="End"/>, which
/// writes the status and the job's one terminal event together.
/// </summary>
public static class JobFactory
{
    /// <summary>
    /// A new queued job. <paramref name="deadline"/>: when the job stops being worth running (the submission's
    /// <c>deadline</c> or <c>Cancel-After</c>); not sent to Seedream by then, it ends expired without being paid for.
    /// </summary>
    public static GenerationJob Create(
        string id,
        string source,
        ImageGenerationRequest? request,
        string? requestHash,
        Dictionary<string, string>? metadata,
        string traceParent,
        SourceBlob? sourceBlob = null,
        DateTimeOffset? deadline = null,
        WebhookSubscription? webhook = null) => new()
        {
            Id = id,
            Source = source,
            SourceBlob = sourceBlob,
            Status = JobStatus.Queued,
            RequestHash = requestHash,
            Request = request,
            Metadata = metadata ?? [],
            TraceParent = traceParent,
            Deadline = deadline,
            Webhook = webhook,
        };

    /// <summary>A job refused before it could run: failed at once; the runner publishes its Failed event.</summary>
    public static GenerationJob Reject(GenerationJob job, JobError error, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        End(job, JobStatus.Failed, error, now, claim: null);
        return job;
    }

    /// <summary>
    /// Makes <paramref name="job"/> terminal with <paramref name="status"/> and its terminal event (stable id per job and
    /// outcome). <paramref name="claim"/>: the writer that will publish the event itself; null leaves it to the runner.
    /// </summary>
    public static void End(GenerationJob job, JobStatus status, JobError? error, DateTimeOffset now, EventClaim? claim)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!GenerationJob.IsTerminalStatus(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A job can only end in a terminal status.");
        }

        job.Status = status;
        job.Error = error ?? job.Error;
        job.Lease = null;
        job.CompletedAt = now;
        var type = JobEventPublisher.TerminalTypeFor(status);
        job.TerminalEvent = new TerminalEvent
        {
            Id = JobEventPublisher.TerminalEventId(job.Id, type),
            Type = type,
            ClaimedBy = claim?.Owner,
            ClaimExpiresAt = claim?.ExpiresAt,
        };
    }
}
