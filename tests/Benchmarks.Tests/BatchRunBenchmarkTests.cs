namespace Seedream.Benchmarks.Tests;

/// <summary>
/// Issue 24's crash promise on the app as a process: a 60-line batch on the development host, SIGKILLed three times
/// (once while the fan-out reads, twice during the generation) and restarted each time, ends as an uninterrupted run
/// would: output plus error lines equal to the input, each custom_id once, no valid line generated twice, one batch event.
/// </summary>
public sealed class BatchRunBenchmarkTests
{
    [Fact]
    public async Task A_batch_killed_three_times_settles_every_line_once_with_one_call_per_line_and_one_event()
    {
        var options = new BatchRunOptions(Lines: 60, InvalidEvery: 7, Kills: 3, ImageDelay: TimeSpan.FromMilliseconds(100), Timeout: TimeSpan.FromMinutes(4));
        using var log = new StringWriter();

        var result = await BatchRunBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.True(result.Failure is null, $"{result.Failure}\n{log}");
        Assert.Equal(3, result.KillsDone);
        Assert.True(result.KilledDuringFanOut, log.ToString());
        Assert.Equal("completed", result.Status);
        Assert.Equal(60, result.OutputLines + result.ErrorLines);
        Assert.Equal(60, result.DistinctCustomIds);
        Assert.Equal(0, result.RepeatedCustomIds);
        Assert.True(result.ErrorLines >= result.Invalid, log.ToString());
        // A job whose call was in flight at a kill ends failed (never called again): at most one call per valid line,
        // and every valid line called unless it is one of those.
        var calls = Assert.IsAssignableFrom<IReadOnlyDictionary<string, int>>(result.CallsPerValidLine);
        Assert.All(calls, pair => Assert.Equal(1, pair.Value));
        Assert.DoesNotContain("", calls.Keys);
        Assert.InRange(calls.Count, result.SucceededLines, result.Lines - result.Invalid);
        Assert.Equal(result.SucceededLines, result.OutputLines);
        Assert.Equal(1, result.BatchEvents);
        Assert.Contains("| 60 | 8 | completed |", BatchRunBenchmark.Markdown(options, result, ["batch-run"]), StringComparison.Ordinal);
    }
}
