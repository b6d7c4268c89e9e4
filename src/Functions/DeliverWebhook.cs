using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions;

/// <summary>Delivers callbacks from the <c>webhook-deliveries</c> queue, one attempt per message; never inside a generation worker.</summary>
public sealed class DeliverWebhook
{
    private readonly WebhookDeliverer _deliverer;

    public DeliverWebhook(WebhookDeliverer deliverer) => _deliverer = deliverer;

    [Function(nameof(DeliverWebhook))]
    public Task RunAsync(
        [QueueTrigger("%WebhookDeliveriesQueue%", Connection = PipelineStorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken) =>
        _deliverer.DeliverAsync(message, cancellationToken);
}

/// <summary>
/// Delivery messages that failed on every dequeue (storage unreachable, say): dead-lettered with the reason, never
/// silently dropped. Not a function: <see cref="PoisonQueueDrain"/> reads the poison queue and calls it.
/// </summary>
public sealed class ProcessPoisonWebhookDelivery : IPoisonQueueHandler
{
    private readonly DeadLetters _deadLetters;
    private readonly WebhookQueue _queue;

    public ProcessPoisonWebhookDelivery(DeadLetters deadLetters, WebhookQueue queue)
    {
        _deadLetters = deadLetters;
        _queue = queue;
    }

    public string PoisonQueue => _queue.Client.Name + "-poison";

    public Task RunAsync(QueueMessage message, CancellationToken cancellationToken) =>
        _deadLetters.WriteAsync(
            DeadLetter.From(PoisonQueue, message, "HandlerFailed", "The webhook delivery failed on every dequeue; the notification was not sent. Redeliver it with POST /api/generations/{id}/webhook/redeliver."),
            cancellationToken);
}
