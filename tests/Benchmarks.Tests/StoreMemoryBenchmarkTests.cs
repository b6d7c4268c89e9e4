using Xunit.Abstractions;

namespace Seedream.Benchmarks.Tests;

/// <summary>
/// A small run of the store-memory harness (child processes, standalone emulator) on a medium image: both paths store the
/// same bytes, and ours peaks below the OpenAI SDK path by a clear factor, as the harness's published ratios claim.
/// The absolute "never a whole image" bound on 4K images is MemoryPeakTests.
/// </summary>
public sealed class StoreMemoryBenchmarkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("file", 20.0)]
    [InlineData("blob", 5.0)]
    public async Task Ours_peaks_below_the_SDK_path_by_a_clear_factor_on_2K_images(string sink, double minimumRatio)
    {
        var options = new StoreMemoryOptions([2], ["2K"], Runs: 1, sink, SeedreamModels.Seedream50Lite, Format: "png");
        using var log = new StringWriter();

        var cells = await StoreMemoryBenchmark.RunAsync(options, log, CancellationToken.None);

        var cell = Assert.Single(cells);
        var ours = Assert.Single(cell.Ours);
        var sdk = Assert.Single(cell.Sdk);
        output.WriteLine($"{sink}: ours peak {ours.PeakBytes / 1048576.0:0.0} MB, SDK {sdk.PeakBytes / 1048576.0:0.0} MB, ratio {cell.PeakRatioMedian:0.0}, images {ours.ImageBytes / 1048576.0:0.0} MB");
        Assert.True(ours.PeakReset && sdk.PeakReset);
        Assert.Equal(2, ours.Images);
        Assert.Equal(ours.ImageBytes, sdk.ImageBytes);
        // base64 makes the response at least 4/3 of the images it carries.
        Assert.True(cell.ResponseBytes >= ours.ImageBytes * 4 / 3, $"response {cell.ResponseBytes} bytes for {ours.ImageBytes} image bytes");
        // The SDK holds the whole response and every decoded image; ours holds a read window (file) or its upload blocks (blob).
        Assert.True(sdk.PeakBytes >= ours.ImageBytes / 2, $"SDK peak {sdk.PeakBytes} bytes for {ours.ImageBytes} image bytes: the comparison measured nothing");
        Assert.True(cell.PeakRatioMedian >= minimumRatio,
            $"SDK peak ÷ ours {cell.PeakRatioMedian:0.0} (ours {ours.PeakBytes}, SDK {sdk.PeakBytes} bytes), expected at least {minimumRatio}\n{log}");
        Assert.True(ours.PeakBytes <= 64L * 1024 * 1024, $"ours peaked {ours.PeakBytes} bytes over baseline, above the 64 MB target");

        var markdown = StoreMemoryBenchmark.Markdown(options, cells, ["store-memory"]);
        Assert.Contains("| 2K | 2 |", markdown, StringComparison.Ordinal);
    }
}
