using Microsoft.Extensions.Logging;

namespace Seedream.Functions;

/// <summary>
/// The job's one terminal event, as an outbox in the job record: the event is written with the terminal status
/// (claimed by its writer), published, then marked published. A claim left by a crashed worker expires and is taken
/// over; a live claim of another delivery is left alone and looked at again after it expires.
/// </summary>
internal sealed class TerminalEventOutbox
{
    /// <summary>How long a claim keeps other deliveries from publishing the same event.</summary>
    public static readonly TimeSpan ClaimDuration = TimeSpan.FromMinutes(2);

    private readonly JobEventPublisher _events;
    private readonly JobRecheck _recheck;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<TerminalEventOutbox> _logger;
    private readonly BatchProgress? _batches;

    public TerminalEventOutbox(JobEventPublisher events, JobRecheck recheck, PipelineMetrics metrics, ILogger<TerminalEventOutbox> logger, BatchProgress? batches = null)
    {
        _batches = batches;
        _events = events;
        _recheck = recheck;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>A claim for <paramref name="writer"/>, to be written together with the terminal status.</summary>
    public static EventClaim NewClaim(JobWriter writer) => new(writer.Owner, writer.Now + ClaimDuration);

    /// <summary>Publishes a terminal job's event unless it is published already or another delivery holds a live claim.</summary>
    public async Task EnsurePublishedAsync(JobWriter writer, CancellationToken cancellationToken)
    {
        while (writer.Job.TerminalEvent is { PublishedAt: null } terminal)
        {
            var now = writer.Now;
            if (terminal.ClaimedBy is not null && terminal.ClaimedBy != writer.Owner && terminal.ClaimExpiresAt > now)
            {
                await _recheck.ScheduleAsync(writer.Job, terminal.ClaimExpiresAt.Value - now, cancellationToken).ConfigureAwait(false);
                return;
            }

            // No claim, this delivery's own, or a stale one: take it (a conflict means someone else moved first; look again).
            var claimed = terminal.ClaimedBy == writer.Owner || await writer.TryWriteAsync(job =>
            {
                job.TerminalEvent!.ClaimedBy = writer.Owner;
                job.TerminalEvent.ClaimExpiresAt = now + ClaimDuration;
            }, cancellationToken).ConfigureAwait(false);
            if (claimed)
            {
                await PublishClaimedAsync(writer, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Publishes the terminal event this delivery claimed (by writing it, or claiming it), then marks it published.</summary>
    public async Task PublishClaimedAsync(JobWriter writer, CancellationToken cancellationToken)
    {
        await _events.PublishTerminalAsync(writer.Job, cancellationToken).ConfigureAwait(false);
        var publishedAt = writer.Now;
        while (writer.Job.TerminalEvent is { PublishedAt: null })
        {
            await writer.TryWriteAsync(job =>
            {
                job.TerminalEvent!.PublishedAt = publishedAt;
                job.TerminalEvent.ClaimedBy = null;
                job.TerminalEvent.ClaimExpiresAt = null;
            }, CancellationToken.None).ConfigureAwait(false);
        }

        _metrics.JobEnded(writer.Job);
        if (_batches is not null)
        {
            // The job's batch counts it (once: a marker per job); a batch job's end may end its batch.
            await _batches.JobEndedAsync(writer.Job, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogInformation("Job {JobId}: event {EventType} {EventId} published.", writer.Job.Id, writer.Job.TerminalEvent!.Type, writer.Job.TerminalEvent.Id);
    }
}
