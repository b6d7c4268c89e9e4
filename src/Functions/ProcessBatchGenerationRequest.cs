using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;

namespace Seedream.Functions;

/// <summary>
/// Runs the jobs of batches from their own queue (<c>batch-generation-requests</c>), through the same runner as single
/// requests, so a batch of thousands waits behind nothing and holds nothing up on <c>generation-requests</c>.
/// </summary>
public sealed class ProcessBatchGenerationRequest
{
    private readonly BatchJobGate _gate;

    public ProcessBatchGenerationRequest(BatchJobGate gate) => _gate = gate;

    [Function(nameof(ProcessBatchGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%BatchGenerationRequestsQueue%", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _gate.HandleAsync(message, cancellationToken);
}
