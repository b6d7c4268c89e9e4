using System.Globalization;
using System.Text.Json;
using Seedream.Testing;
using Xunit.Abstractions;

namespace Seedream.Benchmarks.Tests;

/// <summary>
/// "Memory stays flat", measured where it matters: a series of 4K noise PNGs as <c>b64_json</c> (about 50 MB per image,
/// 67 MB of base64 each) goes through our client, and through the pipeline's store step into Azurite, in a fresh child
/// process (the store-memory harness's <c>measure-store</c>). The figure is the child's peak resident memory over the call
/// (VmHWM after a reset through /proc/self/clear_refs, minus the resident size before), not allocations, so a buffer that
/// holds a whole image counts whether it came from the GC heap or from ArrayPool.
/// </summary>
public sealed class MemoryPeakTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const int Images = 3;

    /// <summary>A 4K noise PNG is about 50 MB; below this the test would not be measuring what it claims to.</summary>
    private const long MinimumImageBytes = 40L * 1024 * 1024;

    private EmulatorProcess _emulator = null!;
    private AzuriteInstance _azurite = null!;

    public async Task InitializeAsync()
    {
        var emulator = EmulatorProcess.StartAsync(settings: null, CancellationToken.None);
        var azurite = AzuriteInstance.StartAsync();
        _emulator = await emulator;
        _azurite = await azurite;
    }

    public async Task DisposeAsync()
    {
        await _emulator.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task Storing_a_4K_b64_json_series_into_blobs_through_the_store_step_never_holds_a_whole_image()
    {
        var measurement = await MeasureAsync("blob");
        var imageBytes = measurement.ImageBytes / measurement.Images;

        // Holding any one image whole (a MemoryStream before the upload, a pooled buffer in the client) takes at least its
        // size on top of the baseline; the store step's own buffers are its blocks in flight (8 MiB each, 2 + 1 being read).
        Assert.True(measurement.PeakBytes < imageBytes,
            $"peak {Megabytes(measurement.PeakBytes)} over baseline while storing {Images} images of {Megabytes(imageBytes)}: a whole image was held");
    }

    [Fact]
    public async Task The_client_streams_a_4K_b64_json_series_to_files_without_holding_a_whole_image()
    {
        var measurement = await MeasureAsync("file");
        var imageBytes = measurement.ImageBytes / measurement.Images;

        // The client reads the response through a 64 KB window and decodes as it reads: a few MB of runtime noise at most.
        Assert.True(measurement.PeakBytes < imageBytes / 4,
            $"peak {Megabytes(measurement.PeakBytes)} over baseline while writing {Images} images of {Megabytes(imageBytes)} to files: the client held far more than its window");
    }

    [Fact]
    public async Task Storing_a_4K_url_series_into_blobs_streams_each_download_without_holding_a_whole_image()
    {
        var measurement = await MeasureAsync("blob", "url");
        var imageBytes = measurement.ImageBytes / measurement.Images;

        // Each image is downloaded from its result URL straight into its blob: the same bound as the b64_json path.
        Assert.True(measurement.PeakBytes < imageBytes,
            $"peak {Megabytes(measurement.PeakBytes)} over baseline while downloading {Images} images of {Megabytes(imageBytes)} into blobs: a whole download was held");
    }

    private async Task<StoreMeasurement> MeasureAsync(string sink, string responseFormat = "b64_json")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = await ChildProcess.RunHarnessAsync(
        [
            StoreMemoryChild.Command, "--path", "ours", "--sink", sink, "--emulator", _emulator.GatewayBaseUrl.ToString(),
            "--model", SeedreamModels.Seedream50Lite, "--size", "4K", "--images", Images.ToString(CultureInfo.InvariantCulture), "--format", "png",
            "--storage", _azurite.ConnectionString, "--response-format", responseFormat,
        ], timeout.Token);
        var line = output.Split('\n').Last(l => l.StartsWith(StoreMemoryChild.ResultPrefix, StringComparison.Ordinal));
        var measurement = JsonSerializer.Deserialize<StoreMeasurement>(line[StoreMemoryChild.ResultPrefix.Length..])!;
        log.WriteLine($"{sink} ({responseFormat}): {measurement.Images} images, {Megabytes(measurement.ImageBytes)}, peak {Megabytes(measurement.PeakBytes)} over a baseline of {Megabytes(measurement.BaselineBytes)}, {measurement.Seconds:0.00} s");

        Assert.True(measurement.PeakReset, "the kernel refused to reset the peak (/proc/self/clear_refs), so VmHWM would include the warm-up");
        Assert.Equal(Images, measurement.Images);
        Assert.True(measurement.ImageBytes / measurement.Images >= MinimumImageBytes,
            $"images of {Megabytes(measurement.ImageBytes / measurement.Images)}: too small to tell a held image from noise");
        return measurement;
    }

    private static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.0} MB";
}
