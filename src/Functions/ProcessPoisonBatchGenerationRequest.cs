using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;

namespace Seedream.Functions;

/// <summary>
/// Ends the job of a batch message that exhausted its deliveries, as for single requests; what it cannot end is
/// dead-lettered. Not a function: <see cref="PoisonQueueDrain"/> reads the poison queue and calls it.
/// </summary>
public sealed class ProcessPoisonBatchGenerationRequest : IPoisonQueueHandler
{
    private readonly GenerationRequestConsumer _consumer;

    public ProcessPoisonBatchGenerationRequest(GenerationRequestConsumer consumer, IOptions<BatchStorageOptions> options)
    {
        _consumer = consumer;
        PoisonQueue = options.Value.BatchGenerationRequestsQueue + "-poison";
    }

    public string PoisonQueue { get; }

    public Task RunAsync(QueueMessage message, CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
