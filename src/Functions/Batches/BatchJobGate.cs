using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Pacing;
using Seedream.Functions.Processing;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Batches;

/// <summary>
/// Runs messages of <c>batch-generation-requests</c> through the same consumer as single requests, after one look at
/// the batch: a job whose batch is cancelling (or gone) is cancelled instead of run, unpaid. The first delivery of each
/// job counts it as started (a marker blob, created once).
/// </summary>
public sealed class BatchJobGate
{
    private readonly BatchStore _batches;
    private readonly JobStore _jobs;
    private readonly GenerationRunner _runner;
    private readonly GenerationRequestConsumer _consumer;

    public BatchJobGate(BatchStore batches, JobStore jobs, GenerationRunner runner, GenerationRequestConsumer consumer)
    {
        _batches = batches;
        _jobs = jobs;
        _runner = runner;
        _consumer = consumer;
    }

    public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Body?.ToMemory() ?? ReadOnlyMemory<byte>.Empty;
        if (JobReferenceMessage.TryParse(body, out var reference)
            && await _jobs.GetAsync(reference.Id, cancellationToken).ConfigureAwait(false) is { Job: { IsTerminal: false, Batch: { } line } } stored)
        {
            var batch = await _batches.GetAsync(line.BatchId, cancellationToken).ConfigureAwait(false);
            if (batch is null || batch.Batch.IsStopping || batch.Batch.CancelRequestedAt is not null)
            {
                await _runner.CancelAsync(stored, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (stored.Job.Phase == GenerationPhase.NotStarted)
            {
                await CountStartedAsync(line, stored.Job.Id, cancellationToken).ConfigureAwait(false);
            }
        }

        // Bulk: the pacer keeps a reserve of the provider's limit for single requests.
        await _consumer.HandleAsync(message, GenerationPriority.Bulk, cancellationToken).ConfigureAwait(false);
    }

    private async Task CountStartedAsync(BatchLineReference line, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            await _batches.Container.GetBlobClient($"{line.BatchId}/started/{jobId}").UploadAsync(BinaryData.Empty, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return;
        }

        await _batches.UpdateAsync(line.BatchId, record =>
        {
            record.Tally.Started++;
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }
}
