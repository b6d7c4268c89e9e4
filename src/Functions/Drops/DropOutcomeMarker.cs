using Microsoft.Extensions.Logging;
using Seedream.Functions.Batches;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Drops;

/// <summary>
/// A drop's outcome on its source blob: when a drop job ends, before its terminal event goes out, the blob is marked
/// with the status (and the error, as <see cref="JobOutcome.DropMarksError"/> says). Every way a job ends passes the
/// outbox, so every drop gets its mark. A <c>.jsonl</c> drop is a batch: when the batch ends, before its event, the blob
/// is marked with the batch's final status (and its error when it failed), so the mark never stays <c>validating</c>.
/// </summary>
public sealed class DropOutcomeMarker : IJobEndedHandler, IBatchEndedHandler
{
    private readonly InboxStore _inbox;
    private readonly ILogger<DropOutcomeMarker> _logger;

    public DropOutcomeMarker(InboxStore inbox, ILogger<DropOutcomeMarker> logger)
    {
        _inbox = inbox;
        _logger = logger;
    }

    public async Task OnJobEndedAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.SourceBlob is { } source && source.Container == _inbox.Container.Name
            && !await _inbox.MarkAsync(source.Name, job.Id, DropMarks.For(job), cancellationToken).ConfigureAwait(false))
        {
            _logger.LogInformation("Drop job {JobId} ended {Status}; its source blob '{Blob}' no longer exists to be marked.", job.Id, job.StatusName, source.Name);
        }
    }

    public async Task OnBatchEndedAsync(BatchRecord batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Source is { } source && source.Container == _inbox.Container.Name
            && !await _inbox.MarkAsync(source.Name, batch.Id, BatchDropService.MarksFor(batch), cancellationToken).ConfigureAwait(false))
        {
            _logger.LogInformation("Batch {BatchId} ended {Status}; its source blob '{Blob}' no longer exists to be marked.", batch.Id, BatchStatusNames.NameOf(batch.Status), LogText.Cut(source.Name, 128));
        }
    }
}
