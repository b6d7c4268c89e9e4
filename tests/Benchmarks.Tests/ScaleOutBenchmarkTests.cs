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
}
