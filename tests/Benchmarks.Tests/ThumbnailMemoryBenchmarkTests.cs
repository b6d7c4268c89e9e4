namespace Seedream.Benchmarks.Tests;

/// <summary>
/// A small run of the thumbnail-memory harness (2400 px a side): what only decodes whole beyond the budget is refused
/// after and was thumbnailed at a cost before; every thumbnail made after stays within the bounds.
/// </summary>
public sealed class ThumbnailMemoryBenchmarkTests
{
    [Fact]
    public async Task References_that_decode_whole_are_refused_after_and_every_accepted_one_stays_within_the_bounds()
    {
        var options = new ThumbnailMemoryOptions(Edge: 2400, Concurrent: 6);
        using var log = new StringWriter();

        var measurements = await ThumbnailMemoryBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal(ThumbnailMemoryBenchmark.Inputs.Count * 4, measurements.Count);
        string[] decodedWhole = ["PNG 16-bit RGBA interlaced", "JPEG CMYK progressive"];
        Assert.All(measurements.Where(m => m.Route == "before"), m => Assert.False(m.Refused, $"{m}"));
        Assert.Equal(decodedWhole.Order(), measurements.Where(m => m.Route == "after" && m.Refused).Select(m => m.Input).Distinct().Order());
        Assert.All(measurements.Where(m => m.Input.EndsWith(" 2048", StringComparison.Ordinal)), m => Assert.False(m.Refused, $"{m}"));

        var made = measurements.Where(m => m.Route == "after" && !m.Refused).ToList();
        Assert.All(made, m =>
        {
            Assert.True(m.PeakRiseMegabytes <= (m.Requests == 1 ? 64 : 200), $"{m}");
            Assert.True(m.Outcome == "480x480" || m.Outcome == "480x30", $"{m}");
        });

        // Decoding whole costs more than reading the same pixels line by line or shrunk on load.
        double Alone(string input, string route) => measurements.Single(m => m.Input == input && m.Route == route && m.Requests == 1).PeakRiseMegabytes;
        Assert.True(Alone("PNG 16-bit RGBA interlaced", "before") > 2 * Alone("PNG 16-bit RGBA", "after"), log.ToString());
        Assert.True(Alone("JPEG CMYK progressive", "before") > 2 * Alone("JPEG CMYK baseline", "after"), log.ToString());

        var markdown = ThumbnailMemoryBenchmark.Markdown(options, measurements, ["thumbnail-memory", "--edge", "2400"]);
        Assert.Contains("| PNG 16-bit RGBA interlaced |", markdown, StringComparison.Ordinal);
        Assert.Contains("| refused | refused |", markdown, StringComparison.Ordinal);
    }
}
