namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the store-memory harness (child processes, standalone emulator): it must keep working, whatever the figures.</summary>
public sealed class StoreMemoryBenchmarkTests
{
    [Theory]
    [InlineData("file")]
    [InlineData("blob")]
    public async Task Both_paths_store_every_image_of_the_series_and_report_memory(string sink)
    {
        var options = new StoreMemoryOptions([1, 2], ["1K"], Runs: 1, sink, StoreRequests.WarmUpModel, Format: null);
        using var log = new StringWriter();

        var cells = await StoreMemoryBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal([1, 2], cells.Select(cell => cell.Images));
        foreach (var cell in cells)
        {
            var ours = Assert.Single(cell.Ours);
            var sdk = Assert.Single(cell.Sdk);
            Assert.Equal(cell.Images, ours.Images);
            Assert.Equal(ours.ImageBytes, sdk.ImageBytes);
            // base64 makes the response at least 4/3 of the images it carries.
            Assert.True(cell.ResponseBytes >= ours.ImageBytes * 4 / 3, $"response {cell.ResponseBytes} bytes for {ours.ImageBytes} image bytes");
            // The SDK decodes every image into memory, so it allocates at least their size.
            Assert.True(sdk.AllocatedBytes >= sdk.ImageBytes, $"SDK allocated {sdk.AllocatedBytes} bytes for {sdk.ImageBytes} image bytes");
            Assert.True(ours.PeakReset && sdk.PeakReset);
        }

        var markdown = StoreMemoryBenchmark.Markdown(options, cells, ["store-memory"]);
        Assert.Contains("| 1K | 2 |", markdown, StringComparison.Ordinal);
    }
}
