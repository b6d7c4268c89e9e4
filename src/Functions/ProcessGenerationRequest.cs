using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Runs jobs from the <c>generation-requests</c> queue (HTTP job references and producers' requests).</summary>
public sealed class ProcessGenerationRequest
{
    private readonly GenerationMessageHandler _handler;

    public ProcessGenerationRequest(GenerationMessageHandler handler) => _handler = handler;

    [Function(nameof(ProcessGenerationRequest))]
    public Task RunAsync(
        [QueueTrigger("%GenerationRequestsQueue%", Connection = PipelineStorageOptions.ConnectionName)] string message,
        CancellationToken cancellationToken) =>
        _handler.HandleAsync(message, cancellationToken);
}
