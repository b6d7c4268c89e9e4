namespace Seedream.Functions.Batches;

/// <summary>
/// Work that follows a batch's end (completed, failed, cancelled or expired): called with the final record before the
/// batch's event is published, and again when the publish is retried, so it must be idempotent. A failure leaves the
/// event unpublished and the control message's redelivery runs both again. Register with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IBatchEndedHandler, T&gt;())</c>.
/// </summary>
public interface IBatchEndedHandler
{
    Task OnBatchEndedAsync(BatchRecord batch, CancellationToken cancellationToken);
}
