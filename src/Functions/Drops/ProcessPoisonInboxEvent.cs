using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Drops;

/// <summary>
/// Ends the drop of an event whose every delivery failed as a failed job, so no drop is lost silently. Not a function:
/// <see cref="PoisonQueueDrain"/> reads the poison queue and calls it (a trigger on a <c>-poison</c> queue loops forever
/// on text the real Functions host cannot decode, issue 19).
/// </summary>
public sealed class ProcessPoisonInboxEvent : IPoisonQueueHandler
{
    private readonly DropService _drops;

    public ProcessPoisonInboxEvent(DropService drops, IOptions<DropStorageOptions> options)
    {
        _drops = drops;
        PoisonQueue = options.Value.InboxEventsQueue + "-poison";
    }

    public string PoisonQueue { get; }

    /// <param name="message">The message as a queue trigger would bind it (base64-decoded).</param>
    public Task RunAsync(QueueMessage message, CancellationToken cancellationToken) =>
        _drops.HandlePoisonAsync(message, cancellationToken);
}
