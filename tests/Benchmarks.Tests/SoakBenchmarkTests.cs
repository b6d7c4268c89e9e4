namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny soak: every job of the mix, faulted ones included, ends exactly once and is generated at most once.</summary>
public sealed class SoakBenchmarkTests
{
    // Faults that fail the job on its one call: a permanent 400, a 500 (answered, so never repeated), a lost answer (never repeated).
    private static readonly string[] s_failingFaults = ["error;status=400;code=InvalidParameter", "internal-error", "reset"];

    [Fact]
    public async Task Every_job_ends_with_one_event_and_one_generation_and_the_status_its_fault_implies()
    {
        var options = new SoakOptions(Jobs: 40, FaultPercent: 25, Submitters: 2, Timeout: TimeSpan.FromMinutes(2));
        var plans = Enumerable.Range(0, options.Jobs).Select(i => SoakBenchmark.Plan(i, options)).ToArray();
        using var log = new StringWriter();

        var result = await SoakBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.True(plans.Count(p => p.Fault is not null) > 0, "the mix injects no fault");
        Assert.Equal(0, result.LostJobs);
        Assert.Equal(0, result.NonTerminalJobs);
        // Counted a few visibility timeouts after the last job's first event, so a late duplicate counts too.
        Assert.Equal(0, result.DuplicateCompletionEvents);
        // No job's call is sent twice unless it was refused with a 429: a 500 or a reset is answered once.
        Assert.Equal(0, result.RepeatedGenerations);
        Assert.Equal(options.Jobs, result.Statuses.Values.Sum());
        Assert.True(result.GenerationRequests >= options.Jobs, $"{result.GenerationRequests} generation requests for {options.Jobs} jobs");
        // Jobs without a fault succeed; jobs whose fault no delivery gets past fail.
        Assert.True(result.Statuses.GetValueOrDefault("succeeded") >= plans.Count(p => p.Fault is null),
            $"statuses {string.Join(", ", result.Statuses)} for {plans.Count(p => p.Fault is null)} jobs without a fault");
        Assert.True(result.Statuses.GetValueOrDefault("failed") >= plans.Count(p => s_failingFaults.Contains(p.Fault)),
            $"statuses {string.Join(", ", result.Statuses)} for {plans.Count(p => s_failingFaults.Contains(p.Fault))} jobs with a failing fault");
    }
}
