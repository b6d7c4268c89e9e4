using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Drops;

/// <summary>
/// A drop whose name ends in <c>.jsonl</c> is a batch file: it is streamed from the inbox into the batch's input and
/// goes through the same fan-out as <c>POST /api/batches</c>. The batch id derives from the blob's identity, so a
/// redelivered event finds its batch instead of creating another; the drop is marked with the batch id and status, or
/// with the error when the file is refused (a dead-letter record then keeps the trace). The batch record keeps the
/// blob as its source, and <see cref="DropOutcomeMarker"/> marks the final status when the batch ends.
/// </summary>
public sealed class BatchDropService
{
    public const string Extension = ".jsonl";
    public const string BatchIdKey = "seedream_batch_id";
    public const string BatchNotAcceptedCode = "BatchNotAccepted";

    private readonly BatchSubmissionService _submissions;
    private readonly BatchStore _batches;
    private readonly InboxStore _inbox;
    private readonly DeadLetters _deadLetters;
    private readonly ILogger<BatchDropService> _logger;

    public BatchDropService(BatchSubmissionService submissions, BatchStore batches, InboxStore inbox, DeadLetters deadLetters, ILogger<BatchDropService> logger)
    {
        _submissions = submissions;
        _batches = batches;
        _inbox = inbox;
        _deadLetters = deadLetters;
        _logger = logger;
    }

    public static bool IsBatchFile(string blobName) => blobName.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>batch_</c> + 32 hex of the drop's identity (container, name, ETag): one batch per blob version.</summary>
    public static string BatchIdOf(SourceBlob source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return BatchJobIds.BatchIdPrefix + source.JobId()[2..34];
    }

    /// <summary>Stages the drop as a batch, once; <paramref name="message"/> is the event's queue message, for a dead-letter record if the file is refused.</summary>
    public async Task AcceptAsync(SourceBlob source, string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var batchId = BatchIdOf(source);
        if (await ContinueExistingAsync(source, batchId, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (await _inbox.GetAsync(source.Name, cancellationToken).ConfigureAwait(false) is not { } blob)
        {
            _logger.LogInformation("Batch drop '{Blob}' is gone before it was read; nothing to do.", LogText.Cut(source.Name, 128));
            return;
        }

        BatchSubmission submission;
        try
        {
            await using var body = await _inbox.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
            submission = await _submissions.SubmitDropAsync(batchId, source, body, PipelineTelemetry.CurrentOrNewTraceParent(null), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Deleted or replaced while read: a new version raises its own event; a concurrent delivery may have staged it.
            await ContinueExistingAsync(source, batchId, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (submission.Batch is { } batch)
        {
            await MarkAsync(source.Name, batch, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Drop '{Blob}' became batch {BatchId}.", LogText.Cut(source.Name, 128), batch.Id);
            return;
        }

        var reason = submission.TooLarge
            ? $"The batch file is larger than {_submissions.MaxInputBytes} bytes."
            : string.Join(" ", submission.Errors?.SelectMany(error => error.Value) ?? []);
        await RefuseAsync(source.Name, batchId, reason, queue, message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The event exhausted its deliveries: its batch goes on if it was staged; otherwise the drop is marked failed and dead-lettered.</summary>
    public async Task AcceptPoisonAsync(SourceBlob source, string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var batchId = BatchIdOf(source);
        if (!await ContinueExistingAsync(source, batchId, cancellationToken).ConfigureAwait(false))
        {
            await RefuseAsync(source.Name, batchId,
                "The batch file could not be read on any delivery of its BlobCreated event (storage errors); drop the file again.", queue, message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A batch staged by an earlier delivery: its fan-out is queued again (it may have crashed before queuing it; the fan-out is checkpointed, so a duplicate repeats nothing).</summary>
    private async Task<bool> ContinueExistingAsync(SourceBlob source, string batchId, CancellationToken cancellationToken)
    {
        if (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not { } existing)
        {
            return false;
        }

        if (!existing.Batch.FanOut.Completed)
        {
            await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batchId), delay: null, cancellationToken).ConfigureAwait(false);
        }

        await MarkAsync(source.Name, existing.Batch, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The marks of a batch drop: the batch id, its status as the API writes it, and the error when the batch failed.</summary>
    public static IReadOnlyDictionary<string, string?> MarksFor(BatchRecord batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new Dictionary<string, string?>
        {
            [BatchIdKey] = batch.Id,
            [InboxStore.StatusKey] = BatchStatusNames.NameOf(batch.Status),
            [InboxStore.ErrorCodeKey] = batch.Error?.Code,
            [InboxStore.ErrorKey] = batch.Error?.Message,
        };
    }

    /// <summary>
    /// Marks the drop with the batch as read. A small batch can end between that read and the mark, and the ended hook's
    /// mark may land first: the record is read again after a mark that is not final, so the last mark is the end.
    /// </summary>
    private async Task MarkAsync(string blobName, BatchRecord batch, CancellationToken cancellationToken)
    {
        await _inbox.MarkAsync(blobName, batch.Id, MarksFor(batch), cancellationToken).ConfigureAwait(false);
        if (!batch.IsFinished && await _batches.GetAsync(batch.Id, cancellationToken).ConfigureAwait(false) is { Batch: { IsFinished: true } ended })
        {
            await _inbox.MarkAsync(blobName, batch.Id, MarksFor(ended), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RefuseAsync(string blobName, string batchId, string reason, string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        _logger.LogInformation("Batch drop '{Blob}' refused: {Reason}", LogText.Cut(blobName, 128), LogText.Cut(reason, 512));
        await _inbox.MarkAsync(blobName, batchId, new Dictionary<string, string?>
        {
            [BatchIdKey] = null,
            [InboxStore.StatusKey] = BatchStatusNames.NameOf(BatchStatus.Failed),
            [InboxStore.ErrorCodeKey] = BatchNotAcceptedCode,
            [InboxStore.ErrorKey] = reason,
        }, cancellationToken).ConfigureAwait(false);
        await _deadLetters.WriteAsync(DeadLetter.From(queue, message, BatchNotAcceptedCode, LogText.Cut($"Batch drop '{blobName}': {reason}", 1000)), cancellationToken).ConfigureAwait(false);
    }
}
