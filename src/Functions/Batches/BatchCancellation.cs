using Azure.Storage.Blobs.Models;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

public enum BatchCancelOutcome
{
    /// <summary>The cancel was recorded now (or had been already); the batch ends cancelled once running jobs stop.</summary>
    Cancelling,

    /// <summary>The batch had finished; nothing changed.</summary>
    AlreadyFinished,

    NotFound,
}

/// <summary>
/// Cancels a batch: the record turns <c>cancelling</c> first, then every job of the batch not yet ended is cancelled
/// through the job's own cancel (a queued job ends at once, unpaid; a running one stops before its next image). A job
/// the fan-out creates after this started is stopped by <see cref="BatchJobGate"/>, which reads the record before the
/// job runs, so no line's Seedream call starts once the cancel has answered.
/// </summary>
public sealed class BatchCancellation
{
    private const int CancelConcurrency = 8;

    private readonly BatchStore _batches;
    private readonly PipelineStorage _storage;
    private readonly JobStore _jobs;
    private readonly GenerationRunner _runner;
    private readonly TimeProvider _time;

    public BatchCancellation(BatchStore batches, PipelineStorage storage, JobStore jobs, GenerationRunner runner, TimeProvider time)
    {
        _batches = batches;
        _storage = storage;
        _jobs = jobs;
        _runner = runner;
        _time = time;
    }

    public async Task<(BatchCancelOutcome Outcome, BatchRecord? Batch)> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        var resume = false;
        var stored = await _batches.UpdateAsync(batchId, record =>
        {
            resume = false;
            if (record.IsFinished || record.CancelRequestedAt is not null)
            {
                return false;
            }

            record.CancelRequestedAt = _time.GetUtcNow();
            // A fan-out paused on a full window goes on, to settle the remaining lines as cancelled.
            resume = record.FanOut.Paused;
            if (resume)
            {
                BatchWindow.Resume(record, record.CancelRequestedAt.Value);
            }

            if (record.Status != BatchStatus.Finalizing)
            {
                record.Status = BatchStatus.Cancelling;
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return (BatchCancelOutcome.NotFound, null);
        }

        if (stored.Batch.IsFinished)
        {
            return (BatchCancelOutcome.AlreadyFinished, stored.Batch);
        }

        // Listed after the record says cancelling: a job missing from this listing is created later and meets the gate.
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var jobIds = new List<string>();
        await foreach (var blob in _storage.Jobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, BatchJobIds.JobPrefix(batchId), cancellationToken).ConfigureAwait(false))
        {
            jobIds.Add(blob.Name[..^".json".Length]);
        }

        await Parallel.ForEachAsync(jobIds, new ParallelOptions { MaxDegreeOfParallelism = CancelConcurrency, CancellationToken = cancellationToken }, async (jobId, ct) =>
        {
            if (await _jobs.GetAsync(jobId, ct).ConfigureAwait(false) is { Job.IsTerminal: false } job)
            {
                await _runner.CancelAsync(job, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        if (resume)
        {
            await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batchId), delay: null, cancellationToken).ConfigureAwait(false);
        }

        if (stored.Batch.FanOut.Completed)
        {
            await _batches.SendAsync(_batches.Control, BatchControlMessage.Finalize(batchId), delay: null, cancellationToken).ConfigureAwait(false);
        }

        return (BatchCancelOutcome.Cancelling, (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false))?.Batch ?? stored.Batch);
    }
}
