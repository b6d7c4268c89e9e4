namespace Seedream.Functions.Pacing;

/// <summary>The wait before a rate-limited job is tried again: doubling per wait, jittered, capped.</summary>
public static class CapacityBackoff
{
    /// <summary>
    /// The delay before try <paramref name="waits"/> + 1: <c>RetryDelay × 2^(waits-1)</c> up to <c>MaxRetryDelay</c>,
    /// times a factor in [0.5, 1.5) so that jobs refused together do not return together.
    /// </summary>
    public static TimeSpan Delay(int waits, PacingOptions options, double random)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exponent = Math.Clamp(waits - 1, 0, 20);
        var nominal = Math.Min(options.RetryDelay.TotalSeconds * Math.Pow(2, exponent), options.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(nominal * (0.5 + Math.Clamp(random, 0, 1)));
    }
}
