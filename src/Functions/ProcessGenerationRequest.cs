using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;

namespace Seedream.Functions;

/// <summary>Runs jobs from the <c>generation-requests</c> queue (HTTP job references and producers' requests), bound to the raw message.</summary>
public sealed class ProcessGenerationRequest
{
    private readonly GenerationRequestConsumer _consumer;

    public ProcessGenerationRequest(GenerationRequestConsumer consumer) => _consumer = consumer;

    [Function(nameof(ProcessGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%GenerationRequestsQueue%", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _consumer.HandleAsync(message, cancellationToken);
}
