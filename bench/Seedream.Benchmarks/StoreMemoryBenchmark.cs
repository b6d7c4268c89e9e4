using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Seedream.Functions;
using Seedream.Functions.Configuration;
using Seedream.Functions.Storage;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>Settings of a <see cref="StoreMemoryBenchmark"/> run.</summary>
internal sealed record StoreMemoryOptions(
    IReadOnlyList<int> ImageCounts, IReadOnlyList<string> Sizes, int Runs, string Sink, string Model, string? Format);

/// <summary>One cell: every run of both paths for one image count and size.</summary>
internal sealed record StoreMemoryCell(string Size, int Images, long ResponseBytes, IReadOnlyList<StoreMeasurement> Ours, IReadOnlyList<StoreMeasurement> Sdk)
{
    public long BytesPerImage => Ours[0].ImageBytes / Math.Max(1, Ours[0].Images);

    public double OursPeakMedian => Statistics.Median(Ours.Select(m => (double)m.PeakBytes));

    public double SdkPeakMedian => Statistics.Median(Sdk.Select(m => (double)m.PeakBytes));

    /// <summary>
    /// Median over runs of SDK peak ÷ our peak, each ratio from the pair measured in the same run. Our peak counts as at
    /// least 1 MB, so a near-zero peak gives a conservative ratio rather than a meaningless one.
    /// </summary>
    public double PeakRatioMedian => Statistics.Median(Ours.Zip(Sdk, (ours, sdk) => sdk.PeakBytes / (double)Math.Max(RatioFloorBytes, ours.PeakBytes)));

    public const long RatioFloorBytes = 1024 * 1024;

    public double TimeRatioMedian => Statistics.Median(Ours.Zip(Sdk, (ours, sdk) => sdk.Seconds / ours.Seconds));
}

/// <summary>
/// Issues 7 and 6.1: peak memory and allocations of storing a b64_json series, our client against the OpenAI SDK.
/// Every measured case runs in a fresh child process; the emulator runs in its own process.
/// </summary>
internal static class StoreMemoryBenchmark
{
    public const string Command = "store-memory";

    public static async Task<IReadOnlyList<StoreMemoryCell>> RunAsync(StoreMemoryOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        // Large enough to keep every noise image of the run encoded, so generation cost is paid once, before measuring.
        await using var emulator = await EmulatorProcess.StartAsync(new Dictionary<string, string> { ["ImageCacheBytes"] = (4L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        await using var azurite = options.Sink.StartsWith("blob", StringComparison.Ordinal) ? await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false) : null;
        var cells = new List<StoreMemoryCell>();
        foreach (var size in options.Sizes)
        {
            foreach (var images in options.ImageCounts)
            {
                var json = StoreRequests.Json(options.Model, size, images, options.Format);
                var responseBytes = await MeasureResponseBytesAsync(emulator.GatewayBaseUrl, json, cancellationToken).ConfigureAwait(false);
                var ours = new List<StoreMeasurement>();
                var sdk = new List<StoreMeasurement>();
                for (var run = 0; run < options.Runs; run++)
                {
                    // Alternate which path goes first so neither always runs on a warmer machine.
                    foreach (var path in run % 2 == 0 ? new[] { "ours", "sdk" } : ["sdk", "ours"])
                    {
                        var measurement = await MeasureInChildAsync(options, emulator, azurite, path, size, images, cancellationToken).ConfigureAwait(false);
                        (path == "ours" ? ours : sdk).Add(measurement);
                        await log.WriteLineAsync($"{size} x{images} run {run + 1} {path}: peak {Statistics.Megabytes(measurement.PeakBytes):0.0} MB, allocated {Statistics.Megabytes(measurement.AllocatedBytes):0.0} MB, {measurement.Seconds:0.00} s").ConfigureAwait(false);
                    }
                }

                cells.Add(new StoreMemoryCell(size, images, responseBytes, ours, sdk));
            }
        }

        return cells;
    }

    public static string Markdown(StoreMemoryOptions options, IReadOnlyList<StoreMemoryCell> cells, IEnumerable<string> command)
    {
        var sink = options.Sink switch
        {
            "blob" => $"Azurite blobs: ours through the pipeline's store step (`ImageStore.UploadAsync`, src/Functions, {StoreSettings()}), the SDK path through `BlobClient.UploadAsync(BinaryData)` with default transfer options",
            _ => "a `FileStream` per image in a temporary directory (both paths)",
        };
        var text = new StringBuilder();
        text.AppendLine($"Sink: {sink}. Model `{options.Model}`, `response_format: b64_json`, output format {options.Format ?? "model default"}, noise content.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Runs: {options.Runs} per cell and path, each in a fresh child process, paths alternating first; figures are medians, ratios are medians of per-run SDK÷ours pairs.");
        text.AppendLine("- Peak = the child's VmHWM after the call minus its VmRSS just before it (after a warm-up request on a small image, a full GC and a peak reset via /proc/self/clear_refs). Allocated = `GC.GetTotalAllocatedBytes(true)` over the call. For the peak ratio our peak counts as at least 1 MB.");
        text.AppendLine($"- Baseline (median VmRSS just before the call): ours {MarkdownReport.Format(Statistics.Megabytes(Statistics.Median(cells.SelectMany(cell => cell.Ours).Select(m => (double)m.BaselineBytes))))} MB, SDK {MarkdownReport.Format(Statistics.Megabytes(Statistics.Median(cells.SelectMany(cell => cell.Sdk).Select(m => (double)m.BaselineBytes))))} MB.");
        text.AppendLine("- The emulator runs as a separate process (Release build, `Emulator__NoiseContent=true`); one unmeasured request per cell warms its image cache and counts the response bytes, so the figures exclude PNG encoding.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["size", "images", "bytes/image", "response bytes", "ours peak MB", "ours alloc MB", "ours s", "SDK peak MB", "SDK alloc MB", "SDK s", "peak SDK÷ours", "time SDK÷ours"],
            cells.Select(cell => (IReadOnlyList<string>)
            [
                cell.Size,
                cell.Images.ToString(System.Globalization.CultureInfo.InvariantCulture),
                cell.BytesPerImage.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                cell.ResponseBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                MarkdownReport.Format(Statistics.Megabytes(cell.OursPeakMedian)),
                MarkdownReport.Format(Statistics.Megabytes(Statistics.Median(cell.Ours.Select(m => (double)m.AllocatedBytes)))),
                MarkdownReport.Format(Statistics.Median(cell.Ours.Select(m => m.Seconds)), "0.00"),
                MarkdownReport.Format(Statistics.Megabytes(cell.SdkPeakMedian)),
                MarkdownReport.Format(Statistics.Megabytes(Statistics.Median(cell.Sdk.Select(m => (double)m.AllocatedBytes)))),
                MarkdownReport.Format(Statistics.Median(cell.Sdk.Select(m => m.Seconds)), "0.00"),
                MarkdownReport.Format(cell.PeakRatioMedian, "0.0") + "×",
                MarkdownReport.Format(cell.TimeRatioMedian, "0.00") + "×",
            ])));
        return text.ToString();
    }

    private static async Task<StoreMeasurement> MeasureInChildAsync(
        StoreMemoryOptions options, EmulatorProcess emulator, AzuriteInstance? azurite, string path, string size, int images, CancellationToken cancellationToken)
    {
        var arguments = new List<string>
        {
            StoreMemoryChild.Command, "--path", path, "--sink", options.Sink, "--emulator", emulator.GatewayBaseUrl.ToString(),
            "--model", options.Model, "--size", size, "--images", images.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (options.Format is not null)
        {
            arguments.AddRange(["--format", options.Format]);
        }

        if (azurite is not null)
        {
            arguments.AddRange(["--storage", azurite.ConnectionString]);
        }

        var output = await ChildProcess.RunHarnessAsync(arguments, cancellationToken).ConfigureAwait(false);
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith(StoreMemoryChild.ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The child printed no result: {output}");
        var measurement = JsonSerializer.Deserialize<StoreMeasurement>(line[StoreMemoryChild.ResultPrefix.Length..])
            ?? throw new InvalidOperationException($"Unreadable child result: {line}");
        if (measurement.Images != images)
        {
            throw new InvalidOperationException($"The {path} path stored {measurement.Images} images, expected {images}.");
        }

        return measurement;
    }

    /// <summary>One unmeasured request that reads and counts the raw body; it also fills the emulator's image cache.</summary>
    internal static async Task<long> MeasureResponseBytesAsync(Uri gateway, string json, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(15) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway + "/images/generations"))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", EmulatorProcess.ApiKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static string StoreSettings()
    {
        var defaults = new PipelineOptions();
        return $"{defaults.UploadBlockBytes / (1024 * 1024)} MiB blocks, {defaults.UploadConcurrency} in flight, MD5 per request";
    }
}
