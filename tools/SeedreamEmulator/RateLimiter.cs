namespace SeedreamEmulator;

/// <summary>
/// Admits or refuses generation requests against <see cref="RateLimitOptions"/>, per model, with a sliding log of the
/// admitted requests and their images. A refused request is not recorded (nothing was generated or billed), so
/// clients that keep knocking do not extend their own wait.
/// </summary>
internal sealed class RateLimiter(EmulatorOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<(DateTimeOffset At, int Images)>> _admitted = new(StringComparer.Ordinal);

    /// <summary>The 429 code for a request of <paramref name="images"/> images of <paramref name="model"/>, or null when it is admitted (and counted).</summary>
    public string? TryAdmit(string model, int images)
    {
        var limits = options.RateLimits;
        if (!limits.Enabled)
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_admitted.TryGetValue(model, out var log))
            {
                _admitted[model] = log = new Queue<(DateTimeOffset, int)>();
            }

            var horizon = TimeSpan.FromTicks(Math.Max(limits.Window.Ticks, limits.BurstInterval.Ticks));
            while (log.Count > 0 && log.Peek().At <= now - horizon)
            {
                log.Dequeue();
            }

            var windowStart = now - limits.Window;
            var burstStart = now - limits.BurstInterval;
            int requests = 0, imagesInWindow = 0, burst = 0;
            foreach (var (at, count) in log)
            {
                if (at > windowStart)
                {
                    requests++;
                    imagesInWindow += count;
                }

                if (at > burstStart)
                {
                    burst++;
                }
            }

            var refusal =
                limits.BurstRequests > 0 && burst + 1 > limits.BurstRequests ? "RequestBurstTooFast"
                : limits.RequestsPerWindow > 0 && requests + 1 > limits.RequestsPerWindow ? "ModelAccountRpmRateLimitExceeded"
                : limits.ImagesPerWindow > 0 && imagesInWindow + images > limits.ImagesPerWindow ? "ModelAccountIpmRateLimitExceeded"
                : null;
            if (refusal is null)
            {
                log.Enqueue((now, images));
            }

            return refusal;
        }
    }

    /// <summary>Forgets every admitted request (tests and benchmarks start each run with a full budget).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _admitted.Clear();
        }
    }
}
