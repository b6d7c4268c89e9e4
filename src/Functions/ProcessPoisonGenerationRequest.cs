using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Ends the job of a message that exhausted <c>maxDequeueCount</c>, so no job stays running forever; what it cannot end is dead-lettered.</summary>
public sealed class ProcessPoisonGenerationRequest
{
    private readonly GenerationRequestConsumer _consumer;

    public ProcessPoisonGenerationRequest(GenerationRequestConsumer consumer) => _consumer = consumer;

    [Function(nameof(ProcessPoisonGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%GenerationRequestsQueue%-poison", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
