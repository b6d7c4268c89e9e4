namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the store-throughput harness: every pass moves the same bytes into Azurite.</summary>
public sealed class StoreThroughputBenchmarkTests
{
    [Fact]
    public async Task Every_pass_stores_the_same_images_and_reports_a_rate_per_run()
    {
        var options = new StoreThroughputOptions(Images: 2, Size: "1K", Runs: 1, StoreRequests.WarmUpModel, Format: null);
        using var log = new StringWriter();

        var passes = await StoreThroughputBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Contains(passes, pass => pass.Mode == "url" && pass.Name.StartsWith("ours", StringComparison.Ordinal));
        Assert.Contains(passes, pass => pass.Mode == "b64_json" && pass.Name.StartsWith("ours", StringComparison.Ordinal));
        Assert.Single(passes.Select(pass => pass.Bytes).Distinct());
        Assert.All(passes, pass => Assert.True(Assert.Single(pass.MegabytesPerSecond) > 0));
        Assert.All(passes.Where(pass => pass.Baseline.Length > 0), pass => Assert.Contains(passes, other => other.Name == pass.Baseline));
        Assert.Contains("| url | ours: client download → ImageStore.UploadAsync |", StoreThroughputBenchmark.Markdown(options, passes, ["store-throughput"]), StringComparison.Ordinal);
    }
}
