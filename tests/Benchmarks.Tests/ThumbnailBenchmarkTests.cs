namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the thumbnails harness: both libraries thumbnail a PNG and a JPEG in child processes.</summary>
public sealed class ThumbnailBenchmarkTests
{
    [Fact]
    public async Task Both_libraries_make_a_bounded_thumbnail_of_each_format_and_the_report_compares_them()
    {
        var options = new ThumbnailOptions(Edge: 1024, Runs: 1);
        using var log = new StringWriter();

        var measurements = await ThumbnailBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal(
            ["jpeg netvips", "jpeg skiasharp", "png netvips", "png skiasharp"],
            measurements.Select(m => $"{m.Format} {m.Library}").Order());
        Assert.All(measurements, m =>
        {
            Assert.Equal((480, 480), (m.Width, m.Height));
            Assert.True(m.OutputBytes > 1000 && m.Seconds > 0 && m.BaselineMegabytes > 10, $"{m}");
        });
        var markdown = ThumbnailBenchmark.Markdown(options, measurements, ["thumbnails", "--edge", "1024"]);
        Assert.Contains("| PNG |", markdown, StringComparison.Ordinal);
        Assert.Contains("| JPEG |", markdown, StringComparison.Ordinal);
    }
}
