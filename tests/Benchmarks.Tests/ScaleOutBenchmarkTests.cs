namespace Seedream.Benchmarks.Tests;

/// <summary>
/// A small run of the scale-out harness: two development hosts on one Azurite and one emulator limited to 60 images per
/// 5 s, a mixed backlog sent at once, without a pacer (429s only deferred) and with the shared budget. What the feature
/// promises must hold even at this size: no job fails or is poisoned by rate limits, none is generated twice, each has
/// exactly one terminal event, and the shared budget is refused less often than unpaced calls (and at most 5 %).
/// </summary>
public sealed class ScaleOutBenchmarkTests
{
    [Fact]
    public async Task Paced_instances_share_the_limit_without_refusals_failures_or_repeated_generations()
    {
        var options = new ScaleOutOptions(
            Instances: 2, JobsPerSize: 4, JobSizes: [1, 4, 15], ImagesPerWindow: 60, Window: TimeSpan.FromSeconds(5),
            ImageDelay: TimeSpan.FromMilliseconds(20), Modes: ["Deferral", "SharedBudget"], ModeTimeout: TimeSpan.FromMinutes(2));
        using var log = new StringWriter();

        var runs = await ScaleOutBenchmark.RunAsync(options, log, CancellationToken.None);

        foreach (var run in runs)
        {
            Assert.True(run.Failure is null, $"{run.Mode}: {run.Failure}\n{log}");
            Assert.Equal(12, run.Succeeded);
            Assert.Equal(0, run.FailedByRateLimit + run.Poisoned + run.Unfinished);
            Assert.Equal(0, run.RepeatedGenerations);
            Assert.Equal(0, run.JobsWithoutOneTerminalEvent);
            Assert.Equal(80, run.ImagesGenerated);
            Assert.Equal(2, run.PeakRssPerInstance.Count);
        }

        var unpaced = Assert.Single(runs, run => run.Mode == "Deferral");
        var shared = Assert.Single(runs, run => run.Mode == "SharedBudget");
        // 80 images against 60 a window: unpaced calls meet the limit; the shared budget keeps under it.
        Assert.True(unpaced.Refused > 0, log.ToString());
        Assert.True(shared.RefusedShare <= 0.05 && shared.RefusedShare < unpaced.RefusedShare, log.ToString());

        var markdown = ScaleOutBenchmark.Markdown(options, runs, ["scale-out"]);
        Assert.Contains("| SharedBudget |", markdown, StringComparison.Ordinal);
        Assert.Contains("15-image p50 / p95 s", markdown, StringComparison.Ordinal);
    }

    private static readonly DateTimeOffset s_origin = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static ScaleOutOptions MetricOptions(int imagesPerWindow, TimeSpan window) => new(
        Instances: 1, JobsPerSize: 1, JobSizes: [1], ImagesPerWindow: imagesPerWindow, Window: window,
        ImageDelay: TimeSpan.Zero, Modes: ["Off"], ModeTimeout: TimeSpan.FromMinutes(1));

    [Fact]
    public void Goodput_of_a_steady_stream_at_the_limit_is_the_whole_limit()
    {
        // 50 images per 5 s, one every 100 ms for 30 s: every 5 s window holds exactly 50.
        var admitted = Enumerable.Range(0, 300).Select(i => (s_origin + TimeSpan.FromMilliseconds(100 * i), 1)).ToList();

        Assert.Equal(1.0, ScaleOutBenchmark.Goodput(admitted, MetricOptions(50, TimeSpan.FromSeconds(5))), 6);
        // Half the rate uses half the limit.
        var half = Enumerable.Range(0, 150).Select(i => (s_origin + TimeSpan.FromMilliseconds(200 * i), 1)).ToList();
        Assert.Equal(0.5, ScaleOutBenchmark.Goodput(half, MetricOptions(50, TimeSpan.FromSeconds(5))), 6);
    }

    [Fact]
    public void Goodput_of_bursts_separated_by_silence_is_low()
    {
        // 10 images at 0, 15 s and 30 s against 60 per 5 s: most windows are empty.
        var admitted = new[] { 0, 15, 30 }.SelectMany(seconds => Enumerable.Repeat((s_origin + TimeSpan.FromSeconds(seconds), 1), 10)).ToList();

        var goodput = ScaleOutBenchmark.Goodput(admitted, MetricOptions(60, TimeSpan.FromSeconds(5)));

        Assert.InRange(goodput, 0.01, 0.1);
    }

    [Fact]
    public void Goodput_of_full_windows_compressed_into_a_short_span_does_not_exceed_the_limit()
    {
        // A whole window's worth each time the previous one leaves the provider's window (as unpaced instances
        // that knock again get it): 4 × 60 images in 15.3 s. A rate over (first + W, 90th percentile] counted
        // 180 images in 10.3 s, 146 % of the limit. A sliding window holds the limit or, over a 0.1 s gap, nothing:
        // of the 42 windows starting 0 to 10.25 s, the one at 10.25 s is empty.
        var window = TimeSpan.FromSeconds(5);
        var admitted = Enumerable.Range(0, 4).SelectMany(k => Enumerable.Repeat((s_origin + (window + TimeSpan.FromSeconds(0.1)) * k, 1), 60)).ToList();

        Assert.Equal(41.0 / 42, ScaleOutBenchmark.Goodput(admitted, MetricOptions(60, window)), 6);
    }

    [Fact]
    public void Goodput_of_clients_knocking_on_a_sliding_window_limit_stays_within_it()
    {
        // 24 calls in flight against a limiter with the emulator's rule (images in (now - W, now] plus the call's
        // own at most L), refused calls knocking again after W / 12, a backlog of 1-, 4- and 15-image calls.
        var window = TimeSpan.FromSeconds(5);
        const int Limit = 60;
        var random = new Random(23);
        var backlog = new Queue<int>(Enumerable.Range(0, 120).Select(i => new[] { 1, 4, 15 }[i % 3]).OrderBy(_ => random.Next()));
        var inFlight = new List<(int Images, TimeSpan Next)>();
        var admitted = new List<(DateTimeOffset At, int Images)>();
        var step = TimeSpan.FromMilliseconds(10);
        for (var now = TimeSpan.Zero; backlog.Count > 0 || inFlight.Count > 0; now += step)
        {
            while (inFlight.Count < 24 && backlog.Count > 0)
            {
                inFlight.Add((backlog.Dequeue(), now + TimeSpan.FromMilliseconds(random.Next(0, 200))));
            }

            for (var i = inFlight.Count - 1; i >= 0; i--)
            {
                if (inFlight[i].Next > now)
                {
                    continue;
                }

                var at = s_origin + now;
                var used = admitted.Where(a => a.At > at - window).Sum(a => a.Images);
                if (used + inFlight[i].Images <= Limit)
                {
                    admitted.Add((at, inFlight[i].Images));
                    inFlight.RemoveAt(i);
                }
                else
                {
                    inFlight[i] = (inFlight[i].Images, now + window / 12);
                }
            }
        }

        var goodput = ScaleOutBenchmark.Goodput(admitted, MetricOptions(Limit, window));

        Assert.InRange(goodput, 0.8, 1.0);
    }
}
