using Microsoft.Extensions.Logging;

namespace Seedream.Functions;

/// <summary>
/// A batch drop's end on its source blob: when a batch that came from a <c>.jsonl</c> drop ends, before its event goes
/// out, the blob is marked with the final status (and the error when the batch failed), as <see cref="DropOutcomeMarker"/>
/// marks a single drop with its job's end. Every way a batch ends passes this hook, so the mark never stays <c>validating</c>.
/// </summary>
public sealed class BatchDropOutcomeMarker : IBatchEndedHandler
{
    private readonly InboxStore _inbox;
    private readonly ILogger<BatchDropOutcomeMarker> _logger;

    public BatchDropOutcomeMarker(InboxStore inbox, ILogger<BatchDropOutcomeMarker> logger)
    {
        _inbox = inbox;
        _logger = logger;
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
