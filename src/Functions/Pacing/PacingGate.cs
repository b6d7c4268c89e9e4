using Microsoft.Extensions.Options;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Pacing;

/// <summary>
/// The runner's one door to pacing: a paused model's error, the pacer's grant or wait, the backoff after a refusal,
/// and the delayed message that puts a waiting job back in its queue.
/// </summary>
public sealed class PacingGate
{
    private readonly GenerationPacer _pacer;
    private readonly ModelPauseBoard _pauses;
    private readonly WaitingJobQueue _queue;
    private readonly PacingOptions _options;

    public PacingGate(GenerationPacer pacer, ModelPauseBoard pauses, WaitingJobQueue queue, IOptions<PacingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pacer = pacer;
        _pauses = pauses;
        _queue = queue;
        _options = options.Value;
    }

    /// <summary>False in <see cref="PacingMode.Off"/>: rate limits are retried in process by the client, then by the queue, as before.</summary>
    public bool Enabled => _options.Mode != PacingMode.Off;

    public Task<ModelPause?> FindPauseAsync(GenerationJob job, CancellationToken cancellationToken) =>
        Enabled ? _pauses.FindAsync(ModelOf(job), cancellationToken) : Task.FromResult<ModelPause?>(null);

    public ValueTask<PacingDecision> AcquireAsync(GenerationJob job, GenerationPriority priority, CancellationToken cancellationToken) =>
        _pacer.AcquireAsync(ModelOf(job), job.Id, JobOutcomeRules.MaxImages(job), priority, cancellationToken);

    public Task PauseAsync(GenerationJob job, JobError error, CancellationToken cancellationToken) => _pauses.PauseAsync(ModelOf(job), error, cancellationToken);

    /// <summary>True once rate-limit refusals have kept <paramref name="job"/> waiting for <see cref="PacingOptions.MaxWait"/>.</summary>
    public bool HasWaitedTooLong(GenerationJob job, DateTimeOffset now) =>
        job.WaitingForCapacity is { } wait && job.CapacityWaits > 0 && now - wait.Since >= _options.MaxWait;

    public TimeSpan MaxWait => _options.MaxWait;

    /// <summary>The wait after the job's <paramref name="waits"/>-th rate-limit refusal.</summary>
    public TimeSpan BackoffAfterRefusal(int waits) => CapacityBackoff.Delay(waits, _options, Random.Shared.NextDouble());

    public Task RequeueAsync(GenerationJob job, GenerationPriority priority, TimeSpan delay, CancellationToken cancellationToken) =>
        _queue.SendAsync(job, priority, delay, cancellationToken);

    private static string ModelOf(GenerationJob job) => job.Request?.Model ?? "";
}
