using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;

namespace Seedream.Functions;

/// <summary>Runs the batch steps from the batch control queue: fan-out of the staged input, recounts, finalizing.</summary>
public sealed class ProcessBatchControl
{
    private readonly BatchControlConsumer _consumer;

    public ProcessBatchControl(BatchControlConsumer consumer) => _consumer = consumer;

    [Function(nameof(ProcessBatchControl))]
    public Task RunAsync(
        [QueueTrigger("%BatchControlQueue%", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _consumer.HandleAsync(message, cancellationToken);
}
