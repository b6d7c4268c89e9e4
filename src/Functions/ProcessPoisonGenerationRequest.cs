using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Ends the job of a message that exhausted <c>maxDequeueCount</c>, so no job stays running forever.</summary>
public sealed class ProcessPoisonGenerationRequest
{
    private readonly GenerationMessageHandler _handler;

    public ProcessPoisonGenerationRequest(GenerationMessageHandler handler) => _handler = handler;

    [Function(nameof(ProcessPoisonGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%GenerationRequestsQueue%-poison", Connection = PipelineStorageOptions.ConnectionName)] string message,
        CancellationToken cancellationToken) =>
        _handler.HandlePoisonAsync(message, cancellationToken);
}
