using Microsoft.Extensions.Logging;
using Seedream.Functions.Configuration;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Processing;

/// <summary>
/// The job's one terminal event, as an outbox in the job record: the event is written with the terminal status
/// (claimed by its writer), published, then marked published. A claim left by a crashed worker expires and is taken
/// over; a live claim of another delivery is left alone and looked at again after it expires. The job-ended hooks
/// (<see cref="IJobEndedHandler"/>) run just before the publish, under the same claim.
/// </summary>
internal sealed class TerminalEventOutbox
{
    /// <summary>How long a claim keeps other deliveries from publishing the same event.</summary>
    public static readonly TimeSpan ClaimDuration = TimeSpan.FromMinutes(2);

    private readonly JobEventPublisher _events;
    private readonly IReadOnlyList<IJobEndedHandler> _endedHandlers;
    private readonly JobRecheck _recheck;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<TerminalEventOutbox> _logger;

    public TerminalEventOutbox(JobEventPublisher events, IEnumerable<IJobEndedHandler> endedHandlers, JobRecheck recheck, PipelineMetrics metrics, ILogger<TerminalEventOutbox> logger)
    {
        _events = events;
        _endedHandlers = [.. endedHandlers];
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
        foreach (var handler in _endedHandlers)
        {
            await handler.OnJobEndedAsync(writer.Job, cancellationToken).ConfigureAwait(false);
        }

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
        _logger.LogInformation("Job {JobId}: event {EventType} {EventId} published.", writer.Job.Id, writer.Job.TerminalEvent!.Type, writer.Job.TerminalEvent.Id);
    }
}
