using Microsoft.Extensions.Logging;
using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Processing;

/// <summary>Schedules another look at a job that a live lease or publish claim of another delivery holds: a delayed queue message (the watchdog).</summary>
internal sealed class JobRecheck
{
    private readonly GenerationQueue _queue;
    private readonly ILogger<JobRecheck> _logger;

    public JobRecheck(GenerationQueue queue, ILogger<JobRecheck> logger)
    {
        _queue = queue;
        _logger = logger;
    }

    public async Task ScheduleAsync(GenerationJob job, TimeSpan delay, CancellationToken cancellationToken)
    {
        var wait = delay + TimeSpan.FromSeconds(1);
        _logger.LogDebug("Job {JobId} is busy in another delivery; checking again in {Delay}.", job.Id, wait);
        await _queue.EnqueueAsync(job, wait, cancellationToken).ConfigureAwait(false);
    }
}
