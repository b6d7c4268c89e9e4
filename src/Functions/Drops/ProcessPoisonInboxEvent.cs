using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Ends the drop of an event whose every delivery failed as a failed job, so no drop is lost silently.</summary>
public sealed class ProcessPoisonInboxEvent
{
    private readonly DropService _drops;

    public ProcessPoisonInboxEvent(DropService drops) => _drops = drops;

    [Function(nameof(ProcessPoisonInboxEvent))]
    public Task RunAsync(
        [QueueTrigger("%InboxEventsQueue%-poison", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _drops.HandlePoisonAsync(message, cancellationToken);
}
