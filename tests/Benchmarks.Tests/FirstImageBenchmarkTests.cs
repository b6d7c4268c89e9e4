namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the first-image harness: both modes complete through the local stack and store every image.</summary>
public sealed class FirstImageBenchmarkTests
{
    [Theory]
    [InlineData("b64_json")]
    [InlineData("url")]
    public async Task Both_modes_store_the_whole_group_and_report_first_and_last_image_times(string responseFormat)
    {
        var options = new FirstImageOptions(Images: 2, ImageDelay: TimeSpan.FromMilliseconds(200), Size: "1K", StoreRequests.WarmUpModel, responseFormat, Runs: 1);
        using var log = new StringWriter();

        var result = await FirstImageBenchmark.RunAsync(options, log, CancellationToken.None);

        foreach (var run in result.Streaming.Concat(result.Whole))
        {
            Assert.Equal(2, run.StoredImages);
            Assert.True(run.FirstStoredSeconds <= run.CompletedSeconds, $"{run}");
        }

        Assert.Contains("| stream ÷ whole |", FirstImageBenchmark.Markdown(options, result, ["first-image"]), StringComparison.Ordinal);
    }
}
