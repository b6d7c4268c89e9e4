namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny soak: every job of the mix, faulted ones included, ends exactly once and is generated at most once.</summary>
public sealed class SoakBenchmarkTests
{
    [Fact]
    public async Task Every_job_ends_once_without_repeated_generations()
    {
        var options = new SoakOptions(Jobs: 40, FaultPercent: 25, Submitters: 2, Timeout: TimeSpan.FromMinutes(2));
        using var log = new StringWriter();

        var result = await SoakBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 40).Count(i => SoakBenchmark.Plan(i, options).Fault is not null), result.FaultedJobs);
        Assert.True(result.FaultedJobs > 0);
        Assert.Equal(0, result.LostJobs);
        Assert.Equal(0, result.NonTerminalJobs);
        Assert.Equal(0, result.DuplicateCompletionEvents);
        Assert.Equal(0, result.RepeatedGenerations);
        Assert.Equal(40, result.Statuses.Values.Sum());
        Assert.True(result.GenerationRequests >= 40, $"{result.GenerationRequests} generation requests for 40 jobs");
    }
}
