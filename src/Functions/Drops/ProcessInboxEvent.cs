using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Drops;

/// <summary>Turns BlobCreated events of the drop inbox (Event Grid → <c>inbox-events</c> queue) into generation jobs.</summary>
public sealed class ProcessInboxEvent
{
    private readonly DropService _drops;

    public ProcessInboxEvent(DropService drops) => _drops = drops;

    [Function(nameof(ProcessInboxEvent))]
    public Task RunAsync(
        [QueueTrigger("%InboxEventsQueue%", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _drops.HandleAsync(message, cancellationToken);
}
