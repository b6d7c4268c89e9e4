using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Intake;

namespace Seedream.Functions;

/// <summary>
/// Dead-letters a batch control message that failed every delivery, with the reason. Not a function:
/// <see cref="PoisonQueueDrain"/> reads the poison queue and calls it.
/// </summary>
public sealed class ProcessPoisonBatchControl : IPoisonQueueHandler
{
    private readonly BatchControlConsumer _consumer;

    public ProcessPoisonBatchControl(BatchControlConsumer consumer, IOptions<BatchStorageOptions> options)
    {
        _consumer = consumer;
        PoisonQueue = options.Value.BatchControlQueue + "-poison";
    }

    public string PoisonQueue { get; }

    public Task RunAsync(QueueMessage message, CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
