namespace SeedreamEmulator;

/// <summary>
/// The provider's per-model account limits (configuration <c>Emulator:RateLimits:*</c>). Off unless a limit is set.
/// Every limit counts per model version (the id the response echoes, so aliases share one budget) over a sliding
/// <see cref="Window"/>: one minute as the provider counts, shorter in tests so they need not wait a minute
/// (60 images per 10 s is the provider's shape at a sixth of the wait).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Images per window and model (the provider: 500 a minute). A request is refused with <c>429 ModelAccountIpmRateLimitExceeded</c> when the images it asks for would exceed it. 0: no limit.</summary>
    public int ImagesPerWindow { get; set; }

    /// <summary>Requests per window and model; beyond it <c>429 ModelAccountRpmRateLimitExceeded</c>. 0: no limit.</summary>
    public int RequestsPerWindow { get; set; }

    /// <summary>The sliding window the two limits above count over.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests per model within <see cref="BurstInterval"/>; beyond it <c>429 RequestBurstTooFast</c>. 0: no limit.</summary>
    public int BurstRequests { get; set; }

    /// <summary>The interval <see cref="BurstRequests"/> counts over.</summary>
    public TimeSpan BurstInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The <c>Retry-After</c> seconds sent with a refusal; 0 sends none (the provider documents none).</summary>
    public int RetryAfterSeconds { get; set; }

    internal bool Enabled => ImagesPerWindow > 0 || RequestsPerWindow > 0 || BurstRequests > 0;
}
