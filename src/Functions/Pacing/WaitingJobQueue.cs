namespace Seedream.Functions;

/// <summary>
/// Where a job waiting for capacity goes back to: a new, delayed copy of its message, so the current one completes
/// (the worker is free at once, and the wait never counts toward the poison threshold). The default sends every
/// priority to <c>generation-requests</c>; a host whose <see cref="GenerationPriority.Bulk"/> jobs run from a queue of
/// their own registers a subclass that sends them there.
/// </summary>
public class WaitingJobQueue
{
    private readonly GenerationQueue _queue;

    public WaitingJobQueue(GenerationQueue queue) => _queue = queue;

    public virtual Task SendAsync(GenerationJob job, GenerationPriority priority, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _queue.EnqueueAsync(job.Id, job.TraceParent, delay, cancellationToken);
    }
}
