namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the accept-latency harness on the local stack.</summary>
public sealed class AcceptLatencyBenchmarkTests
{
    [Fact]
    public async Task Both_paths_complete_every_request_and_report_percentiles()
    {
        var options = new AcceptLatencyOptions(Requests: 20, Runs: 1);
        using var log = new StringWriter();

        var result = await AcceptLatencyBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.True(result.JobRecordBytes > 100, $"job record of {result.JobRecordBytes} bytes");
        foreach (var run in result.Ours.Concat(result.Bare))
        {
            Assert.True(run.P50 > 0 && run.P50 <= run.P99 && run.P99 <= run.Max, $"{run}");
        }

        Assert.Single(result.Ours);
        Assert.Single(result.Bare);
        Assert.Contains("| ours ÷ bare |", AcceptLatencyBenchmark.Markdown(options, result, ["accept-latency"]), StringComparison.Ordinal);
    }
}
