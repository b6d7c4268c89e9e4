using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;

namespace Seedream.Functions;

/// <summary>
/// Ends the job of a message that exhausted <c>maxDequeueCount</c>, so no job stays running forever; what it cannot end
/// is dead-lettered. Not a function: <see cref="PoisonQueueDrain"/> reads the poison queue and calls it (a trigger on a
/// <c>-poison</c> queue loops forever on text the real Functions host cannot decode, issue 19).
/// </summary>
public sealed class ProcessPoisonGenerationRequest : IPoisonQueueHandler
{
    private readonly GenerationRequestConsumer _consumer;

    public ProcessPoisonGenerationRequest(GenerationRequestConsumer consumer, IOptions<PipelineStorageOptions> options)
    {
        _consumer = consumer;
        PoisonQueue = options.Value.GenerationRequestsPoisonQueue;
    }

    public string PoisonQueue { get; }

    /// <param name="message">The message as a queue trigger would bind it (base64-decoded).</param>
    public Task RunAsync(QueueMessage message, CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
