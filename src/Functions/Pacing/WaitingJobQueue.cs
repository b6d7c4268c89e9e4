using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Pacing;

/// <summary>
/// Where a job waiting for capacity goes back to: a new, delayed copy of its message, so the current one completes
/// (the worker is free at once, and the wait never counts toward the poison threshold), on the queue the job runs
/// from (<see cref="GenerationQueue.EnqueueAsync(GenerationJob, TimeSpan?, CancellationToken)"/>: a batch's jobs on
/// their own), so it keeps its priority.
/// </summary>
public class WaitingJobQueue
{
    private readonly GenerationQueue _queue;

    public WaitingJobQueue(GenerationQueue queue) => _queue = queue;

    public virtual Task SendAsync(GenerationJob job, GenerationPriority priority, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _queue.EnqueueAsync(job, delay, cancellationToken);
    }
}
