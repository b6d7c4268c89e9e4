namespace Seedream.Functions.Jobs;

/// <summary>
/// Work that follows a job's end, in the terminal event's outbox: called before the event is published, and again when
/// a publish is retried or taken over, so it must be idempotent. A failure leaves the event unpublished and the queue
/// retries both. Register with <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IJobEndedHandler, T&gt;())</c>.
/// </summary>
public interface IJobEndedHandler
{
    Task OnJobEndedAsync(GenerationJob job, CancellationToken cancellationToken);
}
