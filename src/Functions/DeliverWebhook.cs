using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary>Delivers callbacks from the <c>webhook-deliveries</c> queue, one attempt per message; never inside a generation worker.</summary>
public sealed class DeliverWebhook
{
    private readonly WebhookDeliverer _deliverer;

    public DeliverWebhook(WebhookDeliverer deliverer) => _deliverer = deliverer;

    [Function(nameof(DeliverWebhook))]
    public Task RunAsync(
        [QueueTrigger("%WebhookDeliveriesQueue%", Connection = PipelineStorageOptions.ConnectionName)] string message,
        CancellationToken cancellationToken) =>
        _deliverer.DeliverAsync(message, cancellationToken);
}
