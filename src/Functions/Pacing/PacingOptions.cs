using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Pacing;

/// <summary>How the pipeline keeps its Seedream calls within the provider's per-model limit (configuration section "Pacing").</summary>
public sealed class PacingOptions
{
    public const string SectionName = "Pacing";

    /// <summary>The pacing mechanism; <see cref="PacingMode.SharedBudget"/> by default (docs/benchmarks.md compares them).</summary>
    public PacingMode Mode { get; set; } = PacingMode.SharedBudget;

    /// <summary>The account's images per minute per model version (Seedream: 500); the shared budget paces to it.</summary>
    [Range(1, 1_000_000)]
    public int ImagesPerMinute { get; set; } = 500;

    /// <summary>The provider's counting window: one minute. Tests and benchmarks scale it down with the emulator's.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Share of what is left of the limit after one largest call (15 images) that the shared budget refills per window;
    /// the rest is its burst. Refill + burst + one call's overdraft stay under the limit, so a full backlog is not refused.
    /// </summary>
    [Range(0.1, 1.0)]
    public double TargetShare { get; set; } = 0.97;

    /// <summary>Share of the budget (the bucket's burst, or the adaptive in-flight window) that bulk work leaves to interactive work.</summary>
    [Range(0.0, 0.9)]
    public double InteractiveReserve { get; set; } = 0.5;

    /// <summary>First wait after a rate-limit refusal; each further one doubles it (jittered), up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long rate-limit refusals may keep one job waiting before it fails (<c>RateLimited</c>, with advice): a limit
    /// that does not clear in this time is the account's configuration, not a wait. Pacer waits do not count.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a <c>QuotaExceeded</c> / <c>SetLimitExceeded</c> answer marks its model paused: jobs of that model fail at
    /// once with the provider's advice instead of calling again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PausedFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Adaptive mode: the in-flight image window each instance starts with, per model.</summary>
    [Range(1, 10_000)]
    public int InitialInFlightImages { get; set; } = 16;

    /// <summary>Adaptive mode: the window is multiplied by this on a refusal (at most once per call duration).</summary>
    [Range(0.1, 0.95)]
    public double DecreaseFactor { get; set; } = 0.7;
}

/// <summary>How calls are paced (<c>Pacing:Mode</c>).</summary>
public enum PacingMode
{
    /// <summary>Before issue 23: no pacing; the client retries a 429 in process, then the queue redelivers (counting toward poison).</summary>
    Off,

    /// <summary>No pacing, but a rate-limited job waits outside the worker (a delayed message) and never counts toward poison.</summary>
    Deferral,

    /// <summary>Deferral plus a per-instance in-flight image window per model: additive increase, multiplicative decrease on 429.</summary>
    Adaptive,

    /// <summary>Deferral plus one token bucket per model in a blob on the storage account (ETag compare-and-swap), shared by every instance.</summary>
    SharedBudget,
}
