using Xunit.Abstractions;

namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the first-image harness: streaming stores the first image of a group before a whole response could.</summary>
public sealed class FirstImageBenchmarkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("b64_json")]
    [InlineData("url")]
    public async Task Streaming_stores_the_first_image_a_whole_image_interval_before_the_whole_response_would(string responseFormat)
    {
        // The emulator takes 2.5 s per image: a whole response exists only after both, a streamed first image after one.
        var imageDelay = TimeSpan.FromSeconds(2.5);
        var options = new FirstImageOptions(Images: 2, ImageDelay: imageDelay, Size: "1K", StoreRequests.WarmUpModel, responseFormat, Runs: 1);
        using var log = new StringWriter();

        var result = await FirstImageBenchmark.RunAsync(options, log, CancellationToken.None);

        foreach (var run in result.Streaming.Concat(result.Whole))
        {
            Assert.Equal(2, run.StoredImages);
            Assert.True(run.FirstStoredSeconds <= run.CompletedSeconds, $"{run}");
        }

        var streamed = Assert.Single(result.Streaming);
        var whole = Assert.Single(result.Whole);
        output.WriteLine($"{responseFormat}: first image stored after {streamed.FirstStoredSeconds:0.00} s streamed, {whole.FirstStoredSeconds:0.00} s whole");
        Assert.True(whole.FirstStoredSeconds >= 2 * imageDelay.TotalSeconds, $"whole response: first image stored after {whole.FirstStoredSeconds:0.00} s, before both images were generated");
        // Streaming gains one image interval; half of it is left as margin for a loaded machine.
        Assert.True(streamed.FirstStoredSeconds <= whole.FirstStoredSeconds - imageDelay.TotalSeconds / 2,
            $"streamed first image after {streamed.FirstStoredSeconds:0.00} s, whole response after {whole.FirstStoredSeconds:0.00} s\n{log}");
        Assert.Contains("| stream ÷ whole |", FirstImageBenchmark.Markdown(options, result, ["first-image"]), StringComparison.Ordinal);
    }
}
