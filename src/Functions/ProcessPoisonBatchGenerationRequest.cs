using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Ends the job of a batch message that exhausted its deliveries, as for single requests; what it cannot end is dead-lettered.</summary>
public sealed class ProcessPoisonBatchGenerationRequest
{
    private readonly GenerationRequestConsumer _consumer;

    public ProcessPoisonBatchGenerationRequest(GenerationRequestConsumer consumer) => _consumer = consumer;

    [Function(nameof(ProcessPoisonBatchGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%BatchGenerationRequestsQueue%-poison", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
