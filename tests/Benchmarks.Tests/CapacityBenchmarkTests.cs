namespace Seedream.Benchmarks.Tests;

/// <summary>
/// A small run of the capacity harness: two jobs at once of two 2K noise images on both paths, and a round of
/// malformed submissions. What the feature promises must hold even at this size: the development host stores every
/// image, its peak over baseline stays below the SDK path's at the same N, and its memory comes back after the load.
/// </summary>
public sealed class CapacityBenchmarkTests
{
    // The host checks for quiet every 2 s here (10 s in production), so a short wait shows what a minute shows in the benchmark.
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(6);

    private const long MegaByte = 1024 * 1024;

    [Fact]
    public async Task Jobs_at_once_through_the_queue_trigger_peak_below_the_sdk_path_and_memory_returns_to_baseline()
    {
        var options = new CapacityOptions(
            Concurrency: [2], Sizes: ["2K"], Images: 2, Settle: s_settle, Paths: ["ours", "sdk"], SdkLimitBytes: 4096 * MegaByte,
            Model: SeedreamModels.Seedream50Lite, MalformedRequests: 16, CellTimeout: TimeSpan.FromMinutes(3), IncludeShipped: false,
            HostSettings: new Dictionary<string, string> { ["Runtime:IdleMemoryCheckInterval"] = "00:00:02" });
        using var log = new StringWriter();

        var result = await CapacityBenchmark.RunAsync(options, log, CancellationToken.None);

        var ours = Assert.Single(result.Cells, cell => cell.Path == "ours");
        var sdk = Assert.Single(result.Cells, cell => cell.Path == "sdk");
        Assert.Null(ours.Failure);
        Assert.Equal(4, ours.ImagesStored);
        Assert.Equal(4, sdk.ImagesStored);
        Assert.False(sdk.Stopped);
        // Same noise images on both paths: the same bytes stored.
        Assert.Equal(sdk.BytesStored, ours.BytesStored);
        Assert.Equal(2, ours.JobSeconds.Count);

        var oursOver = ours.PeakBytes - ours.BaselineBytes;
        var sdkOver = sdk.PeakBytes - sdk.BaselineBytes;
        // The SDK path holds each job's whole base64 response and its decoded images (about 2.3 × 25 MB per job here).
        Assert.True(oursOver < sdkOver, $"ours {oursOver / MegaByte} MB over baseline, SDK {sdkOver / MegaByte} MB\n{log}");
        Assert.True(ours.AfterBytes - ours.BaselineBytes < 50 * MegaByte, $"ours {ours.AfterBytes / MegaByte} MB after, baseline {ours.BaselineBytes / MegaByte} MB\n{log}");

        var malformed = Assert.IsType<MalformedLoadResult>(result.Malformed);
        Assert.Equal(16, malformed.StatusCounts.Values.Sum());
        Assert.DoesNotContain(malformed.StatusCounts.Keys, status => status >= 500);
        Assert.True(malformed.AfterBytes - malformed.BaselineBytes < 50 * MegaByte,
            $"{malformed.AfterBytes / MegaByte} MB after malformed input, baseline {malformed.BaselineBytes / MegaByte} MB\n{log}");

        var markdown = CapacityBenchmark.Markdown(options, result, ["capacity"]);
        Assert.Contains("| 2K | 2 | ours", markdown, StringComparison.Ordinal);
        Assert.Contains("| 2K | 2 | OpenAI SDK", markdown, StringComparison.Ordinal);
    }
}
