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
    /// Share of the limit the shared ledger books per window + <see cref="ArrivalSlack"/>: the margin for other clients of
    /// the account and clock skew between instances (the ledger itself never books more than its windows allow).
    /// </summary>
    [Range(0.1, 1.0)]
    public double TargetShare { get; set; } = 0.98;

    /// <summary>
    /// Shared ledger: how long after its grant a call may reach Seedream (which counts it on arrival) and still be counted
    /// within the ledger's window. The ledger's window is the provider's plus this, so a full backlog gets
    /// TargetShare × window / (window + slack) of the limit.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ArrivalSlack { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Shared ledger: a call booked at most this far ahead waits for its slot in process; a later one waits outside the
    /// worker and comes back ¾ of this before its slot (the queue rounds delays up to whole seconds and polls every few), so it starts on time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan HoldWithin { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Share of the budget (of each window of the shared ledger, or of the adaptive in-flight window) that bulk work leaves to interactive work.</summary>
    [Range(0.0, 0.9)]
    public double InteractiveReserve { get; set; } = 0.2;

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

    /// <summary>Deferral plus one sliding-window ledger of granted and booked images per model in a blob on the storage account (ETag compare-and-swap), shared by every instance.</summary>
    SharedBudget,
}
