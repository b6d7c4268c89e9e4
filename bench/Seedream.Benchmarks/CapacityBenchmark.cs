using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using EventGridReceiver;
using Seedream.Functions;
using Seedream.Functions.Jobs;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>Settings of a <see cref="CapacityBenchmark"/> run.</summary>
internal sealed record CapacityOptions(
    IReadOnlyList<int> Concurrency,
    IReadOnlyList<string> Sizes,
    int Images,
    TimeSpan Settle,
    IReadOnlyList<string> Paths,
    long SdkLimitBytes,
    string Model,
    int MalformedRequests,
    TimeSpan CellTimeout,
    bool IncludeShipped = true,
    IReadOnlyDictionary<string, string>? HostSettings = null);

/// <summary>One path at one concurrency and size: N jobs at once, each a b64_json group of <c>Images</c> images.</summary>
internal sealed record CapacityCell(
    string Path,
    string Size,
    int Jobs,
    bool Shipped,
    int ImagesStored,
    long BytesStored,
    double Seconds,
    IReadOnlyList<double> JobSeconds,
    long BaselineBytes,
    long PeakBytes,
    long PeakGcHeapBytes,
    long AfterBytes,
    double CpuSeconds,
    bool Stopped,
    string? Failure,
    long AfterGcHeapBytes = 0)
{
    public double ImagesPerSecond => ImagesStored / Seconds;

    public double MegabytesPerSecond => Statistics.Megabytes(BytesStored) / Seconds;

    public double CpuSecondsPerGiB => BytesStored == 0 ? double.NaN : CpuSeconds / (BytesStored / (1024.0 * 1024 * 1024));

    public double P50 => JobSeconds.Count == 0 ? double.NaN : Statistics.Percentile(JobSeconds.ToArray(), 50);

    public double P95 => JobSeconds.Count == 0 ? double.NaN : Statistics.Percentile(JobSeconds.ToArray(), 95);
}

/// <summary>The malformed-input load: RSS before, at its peak, and after the settle time.</summary>
internal sealed record MalformedLoadResult(int Requests, IReadOnlyDictionary<int, int> StatusCounts, long BaselineBytes, long PeakBytes, long AfterBytes, long AfterGcHeapBytes, double Seconds);

internal sealed record CapacityResult(int ShippedConcurrency, IReadOnlyList<CapacityCell> Cells, MalformedLoadResult? Malformed, bool ServerGc);

/// <summary>
/// Issue 15: how many jobs one app process holds. N queue messages at once through the real queue-trigger path of the
/// development host (a child process, host.json's queue settings with batchSize N), each a sequential b64_json group;
/// beside it the path a user would otherwise write (OpenAI .NET SDK + <c>BlobClient.UploadAsync(BinaryData)</c>) with
/// N jobs at once in a child process, stopped when it passes the memory limit. Every cell gets a fresh Azurite on disk
/// (gigabytes per cell do not fit in memory) and the emulator with noise content (realistic PNG sizes).
/// </summary>
internal static class CapacityBenchmark
{
    public const string Command = "capacity";

    /// <summary>Runs every cell in the order given; <paramref name="progress"/> sees the results so far after each cell (a long run reports as it goes).</summary>
    public static async Task<CapacityResult> RunAsync(CapacityOptions options, TextWriter log, CancellationToken cancellationToken, Func<CapacityResult, Task>? progress = null)
    {
        var shipped = ShippedConcurrency();
        var concurrency = (options.IncludeShipped ? options.Concurrency.Append(shipped.Concurrency) : options.Concurrency).Distinct().ToArray();
        // Room for every size's 15 noise images, so each is encoded once (primed below) and never inside a measurement.
        await using var emulator = await EmulatorProcess.StartAsync(new Dictionary<string, string> { ["ImageCacheBytes"] = (3L << 30).ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        await using var eventGrid = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null, cancellationToken: cancellationToken).ConfigureAwait(false);

        var cells = new List<CapacityCell>();
        var serverGc = false;
        foreach (var size in options.Sizes)
        {
            await log.WriteLineAsync($"capacity: encoding the {size} images once ...").ConfigureAwait(false);
            await StoreMemoryBenchmark.MeasureResponseBytesAsync(emulator.GatewayBaseUrl, StoreRequests.Json(options.Model, size, options.Images, "png"), cancellationToken).ConfigureAwait(false);
            foreach (var jobs in concurrency)
            {
                var isShipped = options.IncludeShipped && jobs == shipped.Concurrency;
                foreach (var path in options.Paths)
                {
                    await log.WriteLineAsync($"capacity: {path} {size} N={jobs}{(isShipped ? " (shipped host.json)" : "")} ...").ConfigureAwait(false);
                    var cell = path switch
                    {
                        "ours" => await MeasureOursAsync(options, emulator, eventGrid, size, jobs, isShipped ? shipped.Settings : BatchOf(jobs), isShipped, gc => serverGc = gc, cancellationToken).ConfigureAwait(false),
                        "sdk" => await MeasureSdkAsync(options, emulator, size, jobs, isShipped, cancellationToken).ConfigureAwait(false),
                        _ => throw new ArgumentException($"Unknown path '{path}' (ours, sdk)."),
                    };
                    await log.WriteLineAsync(
                        $"  {cell.ImagesStored} images, {Statistics.Megabytes(cell.BytesStored):0} MB in {cell.Seconds:0.0} s; peak {Statistics.Megabytes(cell.PeakBytes):0} MB (baseline {Statistics.Megabytes(cell.BaselineBytes):0}), after {Statistics.Megabytes(cell.AfterBytes):0} MB{(cell.Stopped ? ", STOPPED at the limit" : "")}{(cell.Failure is null ? "" : ", " + cell.Failure)}").ConfigureAwait(false);
                    cells.Add(cell);
                    if (progress is not null)
                    {
                        await progress(new CapacityResult(shipped.Concurrency, cells.ToArray(), null, serverGc)).ConfigureAwait(false);
                    }
                }
            }
        }

        MalformedLoadResult? malformed = null;
        if (options.MalformedRequests > 0)
        {
            await log.WriteLineAsync($"capacity: {options.MalformedRequests} malformed requests ...").ConfigureAwait(false);
            malformed = await MeasureMalformedAsync(options, emulator, eventGrid, cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"  peak {Statistics.Megabytes(malformed.PeakBytes):0} MB (baseline {Statistics.Megabytes(malformed.BaselineBytes):0}), after {Statistics.Megabytes(malformed.AfterBytes):0} MB").ConfigureAwait(false);
        }

        return new CapacityResult(shipped.Concurrency, cells, malformed, serverGc);
    }

    /// <summary>host.json's queue settings as shipped: at most batchSize + newBatchThreshold messages run at once per function.</summary>
    public static (int Concurrency, IReadOnlyDictionary<string, string> Settings) ShippedConcurrency()
    {
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")))!["extensions"]!["queues"]!;
        var batchSize = queues["batchSize"]?.GetValue<int>() ?? 16;
        var threshold = queues["newBatchThreshold"]?.GetValue<int>() ?? Environment.ProcessorCount * batchSize / 2;
        return (batchSize + threshold, new Dictionary<string, string>());
    }

    /// <summary>Exactly N at once: one batch of N, the next only when all are done.</summary>
    private static Dictionary<string, string> BatchOf(int jobs) => new()
    {
        ["batchSize"] = jobs.ToString(CultureInfo.InvariantCulture),
        ["newBatchThreshold"] = "0",
    };

    private static async Task<CapacityCell> MeasureOursAsync(
        CapacityOptions options, EmulatorProcess emulator, EventGridReceiverServer eventGrid, string size, int jobs,
        IReadOnlyDictionary<string, string> queueSettings, bool shipped, Action<bool> reportGc, CancellationToken cancellationToken)
    {
        var storage = Directory.CreateTempSubdirectory("seedream-capacity-azurite-").FullName;
        try
        {
            await using var azurite = await AzuriteInstance.StartAsync(storage, cancellationToken).ConfigureAwait(false);
            await using var host = await StartHostAsync(options, azurite, emulator, eventGrid, queueSettings, cancellationToken).ConfigureAwait(false);
            var queue = azurite.CreateQueueServiceClient().GetQueueClient("generation-requests");
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

            // Warm-up: one small group through the same path (JIT, connections, containers), then the baseline.
            var warmUp = await RunJobsAsync(host, queue, ["capacity-warm-up-" + Guid.NewGuid().ToString("N")], StoreRequests.WarmUpJson(), options.CellTimeout, null, cancellationToken).ConfigureAwait(false);
            if (warmUp.Failure is not null)
            {
                throw new InvalidOperationException($"The warm-up job failed: {warmUp.Failure}\n{host.Output}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var baseline = host.WorkingSet;
            var peakReset = host.ResetPeak();
            var heap = await host.GetHeapAsync(cancellationToken).ConfigureAwait(false);
            reportGc(heap.ServerGc);
            var cpuBefore = host.CpuSeconds;

            var ids = Enumerable.Range(0, jobs).Select(i => $"capacity-{size.ToLowerInvariant()}-{jobs}-{i}-{Guid.NewGuid():N}"[..48]).ToArray();
            var sampler = new HostSampler(host);
            var run = await RunJobsAsync(host, queue, ids, StoreRequests.Json(options.Model, size, options.Images, "png"), options.CellTimeout, sampler, cancellationToken).ConfigureAwait(false);
            var cpu = host.CpuSeconds - cpuBefore;
            var peak = Math.Max(sampler.PeakWorkingSet, peakReset ? host.PeakWorkingSet : 0);

            await Task.Delay(options.Settle, cancellationToken).ConfigureAwait(false);
            var after = host.WorkingSet;
            var heapAfter = await host.GetHeapAsync(cancellationToken).ConfigureAwait(false);
            return new CapacityCell("ours", size, jobs, shipped, run.Images, run.Bytes, run.Seconds, run.JobSeconds, baseline, peak, sampler.PeakGcHeap, after, cpu, Stopped: false, run.Failure, heapAfter.GcHeapBytes);
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    private static Task<CapacityHostProcess> StartHostAsync(
        CapacityOptions options, AzuriteInstance azurite, EmulatorProcess emulator, EventGridReceiverServer eventGrid, IReadOnlyDictionary<string, string> queueSettings, CancellationToken cancellationToken)
    {
        var settings = LocalStack.PipelineSettings(azurite, emulator, eventGrid);
        foreach (var (name, value) in options.HostSettings ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }

        return CapacityHostProcess.StartAsync(queueSettings, settings, cancellationToken);
    }

    private sealed record JobsRun(int Images, long Bytes, double Seconds, IReadOnlyList<double> JobSeconds, string? Failure);

    /// <summary>Enqueues every job at once and polls their status until all are terminal; job time is enqueue to terminal.</summary>
    private static async Task<JobsRun> RunJobsAsync(
        CapacityHostProcess host, QueueClient queue, IReadOnlyList<string> ids, string requestJson, TimeSpan timeout, HostSampler? sampler, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(ids.Select(id =>
        {
            var body = JsonNode.Parse(requestJson)!.AsObject();
            body["id"] = id;
            return queue.SendMessageAsync(body.ToJsonString(), cancellationToken);
        })).ConfigureAwait(false);

        var finished = new Dictionary<string, (double Seconds, JsonDocument Status)>(StringComparer.Ordinal);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var sampling = sampler?.RunAsync(deadline.Token) ?? Task.CompletedTask;
        try
        {
            while (finished.Count < ids.Count)
            {
                if (host.HasExited)
                {
                    return new JobsRun(0, 0, stopwatch.Elapsed.TotalSeconds, [], $"the host exited: {host.Output}");
                }

                foreach (var id in ids.Where(id => !finished.ContainsKey(id)))
                {
                    using var response = await host.Http.GetAsync(new Uri($"api/generations/{id}", UriKind.Relative), deadline.Token).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        continue;
                    }

                    response.EnsureSuccessStatusCode();
                    var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false));
                    if (JobOutcomes.IsFinal(status.RootElement.GetProperty("status").GetString()))
                    {
                        finished[id] = (stopwatch.Elapsed.TotalSeconds, status);
                    }
                    else
                    {
                        status.Dispose();
                    }
                }

                await Task.Delay(250, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Out of time: report what finished.
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            await sampling.ConfigureAwait(false);
        }

        var seconds = finished.Count == 0 ? stopwatch.Elapsed.TotalSeconds : finished.Values.Max(f => f.Seconds);
        var images = 0;
        long bytes = 0;
        var failures = new List<string>();
        foreach (var (id, (_, status)) in finished)
        {
            var root = status.RootElement;
            foreach (var image in root.GetProperty("images").EnumerateArray())
            {
                images++;
                bytes += image.GetProperty("bytes").GetInt64();
            }

            if (root.GetProperty("status").GetString() != "succeeded")
            {
                failures.Add($"{id} {root.GetProperty("status").GetString()}");
            }

            status.Dispose();
        }

        if (finished.Count < ids.Count)
        {
            failures.Add($"{ids.Count - finished.Count} of {ids.Count} jobs not finished after {timeout}");
        }

        return new JobsRun(images, bytes, seconds, finished.Values.Select(f => f.Seconds).ToArray(), failures.Count == 0 ? null : string.Join("; ", failures));
    }

    private static async Task<CapacityCell> MeasureSdkAsync(CapacityOptions options, EmulatorProcess emulator, string size, int jobs, bool shipped, CancellationToken cancellationToken)
    {
        var storage = Directory.CreateTempSubdirectory("seedream-capacity-azurite-").FullName;
        try
        {
            await using var azurite = await AzuriteInstance.StartAsync(storage, cancellationToken).ConfigureAwait(false);
            var output = await ChildProcess.RunHarnessAsync(
            [
                CapacitySdkChild.Command, "--emulator", emulator.GatewayBaseUrl.ToString(), "--storage", azurite.ConnectionString,
                "--model", options.Model, "--size", size, "--images", options.Images.ToString(CultureInfo.InvariantCulture),
                "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--limit-mb", (options.SdkLimitBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture),
                "--settle-seconds", options.Settle.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ], cancellationToken).ConfigureAwait(false);
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith(CapacitySdkChild.ResultPrefix, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"The SDK child printed no result: {output}");
            var result = JsonSerializer.Deserialize<CapacitySdkChild.Result>(line[CapacitySdkChild.ResultPrefix.Length..])
                ?? throw new InvalidOperationException($"Unreadable SDK child result: {line}");
            return new CapacityCell("sdk", size, jobs, shipped, result.Images, result.Bytes, result.Seconds, result.JobSeconds,
                result.BaselineBytes, result.PeakBytes, result.PeakGcHeapBytes, result.AfterBytes, result.CpuSeconds, result.Stopped, null);
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    private static async Task<MalformedLoadResult> MeasureMalformedAsync(CapacityOptions options, EmulatorProcess emulator, EventGridReceiverServer eventGrid, CancellationToken cancellationToken)
    {
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var host = await StartHostAsync(options, azurite, emulator, eventGrid, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        var queue = azurite.CreateQueueServiceClient().GetQueueClient("generation-requests");
        await RunJobsAsync(host, queue, ["capacity-warm-up-" + Guid.NewGuid().ToString("N")], StoreRequests.WarmUpJson(), options.CellTimeout, null, cancellationToken).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var baseline = host.WorkingSet;
        var peakReset = host.ResetPeak();
        var sampler = new HostSampler(host);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var samplerTask = sampler.RunAsync(sampling.Token);
        var stopwatch = Stopwatch.StartNew();
        var statuses = await CapacityMalformedLoad.SendAsync(host.BaseAddress, options.MalformedRequests, cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        await sampling.CancelAsync().ConfigureAwait(false);
        await samplerTask.ConfigureAwait(false);
        var peak = Math.Max(sampler.PeakWorkingSet, peakReset ? host.PeakWorkingSet : 0);
        await Task.Delay(options.Settle, cancellationToken).ConfigureAwait(false);
        var after = host.WorkingSet;
        var heap = await host.GetHeapAsync(cancellationToken).ConfigureAwait(false);
        return new MalformedLoadResult(options.MalformedRequests, statuses, baseline, peak, after, heap.GcHeapBytes, stopwatch.Elapsed.TotalSeconds);
    }

    public static string Markdown(CapacityOptions options, CapacityResult result, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"N jobs at once, each a {options.Images}-image sequential `b64_json` group (`{options.Model}`, PNG, noise content: realistic sizes), through the queue trigger of the development host (a child process; host.json's queue settings with `batchSize` N and `newBatchThreshold` 0, so exactly N run at once; the shipped row uses host.json as it is: {result.ShippedConcurrency} at once) against the path a user would otherwise write: the OpenAI .NET SDK on the emulator's `/v1` + `BlobClient.UploadAsync(BinaryData)` for each image, N jobs at once in a child process, stopped when its RSS passes {Statistics.Megabytes(options.SdkLimitBytes):0} MB.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Each cell: a fresh Azurite persisting to disk, one warm-up job, then the measurement. Baseline = RSS after the warm-up; peak = VmHWM (reset after the warm-up) and RSS sampled every 100 ms; GC heap = the largest `GC.GetTotalMemory` sampled every 100 ms (the host's `/_devhost/memory`; the SDK child's own); after = RSS {options.Settle.TotalSeconds:0} s after the last job ended. Job time = enqueue to terminal status (ours; polled every 250 ms), call start to last upload (SDK). CPU = the app process only (not Azurite, not the emulator). Host GC: {(result.ServerGc ? "Server" : "Workstation")}.");
        text.AppendLine();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var group in result.Cells.GroupBy(c => (c.Size, c.Jobs)).OrderBy(g => g.Key.Size, StringComparer.Ordinal).ThenBy(g => g.Key.Jobs))
        {
            var ours = group.FirstOrDefault(c => c.Path == "ours");
            var sdk = group.FirstOrDefault(c => c.Path == "sdk");
            foreach (var cell in group)
            {
                rows.Add(
                [
                    cell.Size,
                    cell.Jobs.ToString(CultureInfo.InvariantCulture) + (cell.Shipped ? " (shipped)" : ""),
                    cell.Path == "ours" ? "ours (DevHost queue trigger)" : "OpenAI SDK + UploadAsync(BinaryData)",
                    cell.ImagesStored.ToString(CultureInfo.InvariantCulture),
                    MarkdownReport.Format(Statistics.Megabytes(cell.BaselineBytes), "0"),
                    (cell.Stopped ? "> " : "") + MarkdownReport.Format(Statistics.Megabytes(cell.PeakBytes), "0"),
                    MarkdownReport.Format(Statistics.Megabytes(cell.PeakGcHeapBytes), "0"),
                    cell.Stopped ? "stopped" : MarkdownReport.Format(Statistics.Megabytes(cell.AfterBytes), "0") + $" ({MarkdownReport.Format(Statistics.Megabytes(cell.AfterBytes - cell.BaselineBytes), "+0;-0")})",
                    cell.Stopped ? "–" : MarkdownReport.Format(cell.ImagesPerSecond, "0.00"),
                    cell.Stopped ? "–" : MarkdownReport.Format(cell.MegabytesPerSecond, "0.0"),
                    cell.Stopped ? "–" : MarkdownReport.Format(cell.P50, "0.0") + " / " + MarkdownReport.Format(cell.P95, "0.0"),
                    cell.Stopped ? "–" : MarkdownReport.Format(cell.CpuSecondsPerGiB, "0.0"),
                    cell.Path == "sdk" && ours is not null ? PeakRatio(ours, cell) : "",
                    cell.Failure ?? "",
                ]);
            }
        }

        text.Append(MarkdownReport.Table(
            ["size", "N", "path", "images stored", "baseline MB", "peak RSS MB", "peak GC heap MB", "RSS after MB (Δ baseline)", "images/s", "MB/s stored", "job p50 / p95 s", "CPU s per GiB", "SDK peak ÷ ours", "notes"],
            rows));
        if (result.Malformed is { } malformed)
        {
            text.AppendLine();
            text.AppendLine($"Malformed-input load on the same host (HTTP `POST /api/generations`, {CapacityMalformedLoad.Concurrency} at once): {malformed.Requests} requests cycling through {CapacityMalformedLoad.Kinds}.");
            text.AppendLine();
            text.Append(MarkdownReport.Table(
                ["requests", "answers", "seconds", "baseline MB", "peak RSS MB", $"RSS after {options.Settle.TotalSeconds:0} s MB (Δ baseline)", "GC heap after MB"],
                [[
                    malformed.Requests.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", malformed.StatusCounts.OrderBy(p => p.Key).Select(p => $"{p.Key} × {p.Value}")),
                    MarkdownReport.Format(malformed.Seconds, "0.0"),
                    MarkdownReport.Format(Statistics.Megabytes(malformed.BaselineBytes), "0"),
                    MarkdownReport.Format(Statistics.Megabytes(malformed.PeakBytes), "0"),
                    MarkdownReport.Format(Statistics.Megabytes(malformed.AfterBytes), "0") + $" ({MarkdownReport.Format(Statistics.Megabytes(malformed.AfterBytes - malformed.BaselineBytes), "+0;-0")})",
                    MarkdownReport.Format(Statistics.Megabytes(malformed.AfterGcHeapBytes), "0"),
                ]]));
        }

        return text.ToString();
    }

    private static string PeakRatio(CapacityCell ours, CapacityCell sdk)
    {
        var oursOver = Math.Max(1024 * 1024, ours.PeakBytes - ours.BaselineBytes);
        var sdkOver = sdk.PeakBytes - sdk.BaselineBytes;
        return (sdk.Stopped ? "> " : "") + MarkdownReport.Format(sdkOver / (double)oursOver, "0.0") + "× (over baseline)";
    }

    /// <summary>Samples the host's RSS and GC heap every 100 ms while a cell runs.</summary>
    private sealed class HostSampler(CapacityHostProcess host)
    {
        public long PeakWorkingSet { get; private set; }

        public long PeakGcHeap { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested && !host.HasExited)
            {
                try
                {
                    PeakWorkingSet = Math.Max(PeakWorkingSet, host.WorkingSet);
                    var heap = await host.GetHeapAsync(cancellationToken).ConfigureAwait(false);
                    PeakGcHeap = Math.Max(PeakGcHeap, heap.GcHeapBytes);
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
                {
                    // Cancelled at the end of the cell, or the host is busy or gone: the next sample or the caller tells.
                }
            }
        }
    }
}
