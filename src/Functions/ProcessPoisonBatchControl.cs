using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Dead-letters a batch control message that failed every delivery, with the reason.</summary>
public sealed class ProcessPoisonBatchControl
{
    private readonly BatchControlConsumer _consumer;

    public ProcessPoisonBatchControl(BatchControlConsumer consumer) => _consumer = consumer;

    [Function(nameof(ProcessPoisonBatchControl))]
    public Task RunAsync(
        [QueueTrigger("%BatchControlQueue%-poison", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _consumer.HandlePoisonAsync(message, cancellationToken);
}
