namespace Seedream.Benchmarks.Tests;

/// <summary>A small run of the listing harness: few jobs, few repetitions, every query returns what it should.</summary>
public sealed class ListingBenchmarkTests
{
    [Fact]
    public async Task Every_query_returns_a_page_and_reports_percentiles()
    {
        var options = new ListingOptions(Jobs: 300, PageSize: 10, Repetitions: 10, ActiveJobs: 4);
        using var log = new StringWriter();

        var result = await ListingBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal(["first page", "deep page", "status=failed", "status=partially_succeeded, createdAfter", "blob scan (alternative)"], result.Cases.Select(c => c.Name));
        Assert.All(result.Cases, c => Assert.True(c.P50 > 0 && c.P50 <= c.P95, $"{c}"));
        // Full pages where 300 jobs have enough (29 failed); the newest 10 % hold only two or three partially succeeded.
        Assert.Equal([10, 10, 10, 10], result.Cases.Where((_, i) => i != 3).Select(c => c.Items));
        Assert.InRange(result.Cases[3].Items, 2, 3);
        Assert.Contains("| p50 ÷ first page |", ListingBenchmark.Markdown(options, result, ["listing"]), StringComparison.Ordinal);
    }
}
