using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventGridReceiver;
using Seedream.Functions;
using Seedream.Functions.Batches;
using Seedream.Testing;
using SeedreamEmulator;

namespace Seedream.Benchmarks;

/// <param name="Kills">SIGKILLs of the host: the first during the fan-out, the others spread over the generation.</param>
/// <param name="MaxPollingInterval">The host's longest wait between polls of an empty queue. Azurite scans every queued
/// message of the account on each receive (even of an empty queue), so with thousands of lines queued short polls cost
/// it most of a core; 0.5 s by default, 2 s (host.json's) for large batches.</param>
/// <param name="MaxJobsAhead">Batches:MaxJobsAhead for the host (the batch's jobs created and not ended, at most); null for the app's default.</param>
internal sealed record BatchRunOptions(int Lines, int InvalidEvery, int Kills, TimeSpan ImageDelay, TimeSpan Timeout, TimeSpan? MaxPollingInterval = null, int? MaxJobsAhead = null)
{
    /// <summary>The window the host runs with: the option, else <see cref="BatchOptions.MaxJobsAhead"/>'s default.</summary>
    public int Window => MaxJobsAhead ?? DefaultWindow;

    public static int DefaultWindow => new BatchOptions().MaxJobsAhead;
}

/// <param name="KilledDuringFanOut">Whether the first kill found the fan-out still reading (input not yet fully read).</param>
/// <param name="CallsPerValidLine">Seedream generation calls in the emulator's request log, by the valid line's custom_id (null when the log cannot hold the run).</param>
internal sealed record BatchRunResult(
    int Lines,
    int Invalid,
    string Status,
    int OutputLines,
    int ErrorLines,
    int DistinctCustomIds,
    int RepeatedCustomIds,
    int SucceededLines,
    int BatchEvents,
    int KillsDone,
    bool KilledDuringFanOut,
    IReadOnlyDictionary<string, int>? CallsPerValidLine,
    double Seconds,
    long PeakRss,
    string? Failure,
    string? LoadAverage = null);

/// <summary>
/// A batch end to end on the development host as its own process (as tools/DevHost runs the app under ./run.sh),
/// Azurite, the emulator (fast images) and an Event Grid receiver: <c>POST /api/batches</c>, the fan-out, every job's
/// generation, the results files and the batch event. The host may be SIGKILLed and restarted during the fan-out and
/// the generation; the results must be the same: output plus error lines equal to the input lines, each custom_id
/// once, at most one Seedream call per valid line, one Seedream.Batch.* event.
/// </summary>
internal static partial class BatchRunBenchmark
{
    public const string Command = "batch-run";

    public static async Task<BatchRunResult> RunAsync(BatchRunOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = Path.Combine(Path.GetTempPath(), $"batch-run-{Guid.NewGuid():N}.jsonl");
        // On disk, as run.sh runs it: in memory Azurite holds every stored image, and a 10,000-line run grew it to 2 GB
        // and stopped it answering after about ten minutes.
        var azuriteData = Directory.CreateTempSubdirectory("batch-run-azurite-");
        await using var cleanup = new DirectoryCleanup(azuriteData);
        await using var azurite = await AzuriteInstance.StartAsync(azuriteData.FullName, cancellationToken).ConfigureAwait(false);
        await using var emulator = await EmulatorProcess.StartAsync(new Dictionary<string, string>
        {
            ["NoiseContent"] = "false",
            ["ImageDelay"] = options.ImageDelay.ToString("c", CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        await using var eventGrid = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var control = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var settings = LocalStack.PipelineSettings(azurite, emulator, eventGrid);
        settings["Models:CheckModels"] = "false";
        settings["Intake:ProbeReferenceUrls"] = "false";
        settings["Batches:MaxJobsAhead"] = options.Window.ToString(CultureInfo.InvariantCulture);
        if (options.Kills > 0)
        {
            // Small checkpoints so the first kill lands inside the fan-out, and short leases and rechecks so the work a
            // killed host held comes back within seconds (the defaults are minutes).
            settings["Batches:ChunkLines"] = "4";
            settings["Batches:IntakeConcurrency"] = "1";
            settings["Batches:CheckInterval"] = "00:00:02";
            settings["Seedream:RequestTimeout"] = "00:00:05";
            settings["Pipeline:LeaseDuration"] = "00:00:06";
            settings[QueueLeaseSetting] = "00:00:03";
        }

        var queueSettings = new Dictionary<string, string>
        {
            ["maxPollingInterval"] = (options.MaxPollingInterval ?? TimeSpan.FromMilliseconds(500)).ToString("c", CultureInfo.InvariantCulture),
            ["visibilityTimeout"] = "00:00:01",
        };
        var host = await CapacityHostProcess.StartAsync(queueSettings, settings, cancellationToken).ConfigureAwait(false);
        try
        {
            var (bytes, invalid) = await WriteInputAsync(input, options, cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"batch-run: {options.Lines} lines ({invalid} invalid), {bytes / 1e6:0.0} MB, {options.Kills} kills").ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            string id;
            await using (var body = File.OpenRead(input))
            {
                using var content = new StreamContent(body);
                content.Headers.ContentType = new("application/jsonl");
                using var response = await host.Http.PostAsync(new Uri("api/batches", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode != 202)
                {
                    throw new InvalidOperationException($"POST /api/batches answered {(int)response.StatusCode}: {text}");
                }

                id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
            }

            long peak = 0;
            var kills = 0;
            var killedDuringFanOut = false;
            var valid = options.Lines - invalid;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Timeout);
            JsonNode batch;
            string? failure = null;
            var progressAt = TimeSpan.Zero;
            while (true)
            {
                batch = await GetBatchAsync(host, id, cancellationToken).ConfigureAwait(false);
                var status = batch["status"]!.GetValue<string>();
                if (BatchStatusNames.IsFinished(status))
                {
                    break;
                }

                if (kills < options.Kills && ShouldKill(batch, kills, options.Kills, valid, out var duringFanOut))
                {
                    peak = Math.Max(peak, host.PeakWorkingSet);
                    await host.DisposeAsync().ConfigureAwait(false); // SIGKILL of the process tree.
                    kills++;
                    killedDuringFanOut |= kills == 1 && duringFanOut;
                    await log.WriteLineAsync($"batch-run: kill {kills} at {stopwatch.Elapsed.TotalSeconds:0.0} s ({(duringFanOut ? "fan-out" : "generation")}, counts {batch["requestCounts"]!.ToJsonString()})").ConfigureAwait(false);
                    host = await CapacityHostProcess.StartAsync(queueSettings, settings, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (stopwatch.Elapsed - progressAt > TimeSpan.FromSeconds(10))
                {
                    progressAt = stopwatch.Elapsed;
                    await log.WriteLineAsync($"batch-run: {stopwatch.Elapsed.TotalSeconds:0} s, {status}, counts {batch["requestCounts"]!.ToJsonString()}").ConfigureAwait(false);
                }

                if (deadline.IsCancellationRequested)
                {
                    failure = $"not ended after {options.Timeout}: {batch.ToJsonString()}";
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(options.Kills > 0 ? 20 : 500), CancellationToken.None).ConfigureAwait(false);
            }

            stopwatch.Stop();
            peak = Math.Max(peak, host.PeakWorkingSet);
            var output = await ReadFileAsync(batch["outputFile"], cancellationToken).ConfigureAwait(false);
            var errors = await ReadFileAsync(batch["errorFile"], cancellationToken).ConfigureAwait(false);
            var customIds = output.Concat(errors).Select(line => JsonNode.Parse(line)!["custom_id"]?.GetValue<string>() ?? "").ToList();
            var succeeded = output.Count(line => JsonNode.Parse(line)!["response"]?["status_code"]?.GetValue<int>() == 200);

            // After the batch ended, so that an event published just now is counted too.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var batchEvents = eventGrid.Events.Count(e => e.Type.StartsWith("Seedream.Batch.", StringComparison.Ordinal));
            IReadOnlyDictionary<string, int>? calls = null;
            var requests = await control.GetFromJsonAsync<ReceivedRequest[]>(new Uri("_emulator/requests", UriKind.Relative), JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false) ?? [];
            var posts = requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal)).ToList();
            if (requests.Length < 10_000)
            {
                // The log keeps the last 10,000 requests; a larger run's first calls are gone.
                // A request cut off by a kill before its body arrived names no line; it was never answered, so never billed.
                calls = posts.Where(r => r.Body is not null || r.ResponseStatus != 0)
                    .GroupBy(r => CustomIdOf(r.Body) ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            }

            var result = new BatchRunResult(
                options.Lines, invalid, batch["status"]!.GetValue<string>(), output.Count, errors.Count, customIds.Distinct(StringComparer.Ordinal).Count(),
                customIds.Count - customIds.Distinct(StringComparer.Ordinal).Count(), succeeded, batchEvents, kills, killedDuringFanOut, calls,
                stopwatch.Elapsed.TotalSeconds, peak, failure, LoadAverage());
            await log.WriteLineAsync(
                $"batch-run: {result.Status} in {result.Seconds:0.0} s ({result.Lines / result.Seconds:0} lines/s): {result.OutputLines} output lines ({result.SucceededLines} succeeded), {result.ErrorLines} error lines, "
                + $"{result.DistinctCustomIds} distinct custom_ids, {posts.Count} Seedream calls ({posts.Count(r => r.Body is null && r.ResponseStatus == 0)} cut off before their body), {result.BatchEvents} batch events, peak RSS {result.PeakRss / 1e6:0} MB{(failure is null ? "" : ", " + failure)}").ConfigureAwait(false);
            return result;
        }
        finally
        {
            await host.DisposeAsync().ConfigureAwait(false);
            File.Delete(input);
        }
    }

    public static string Markdown(BatchRunOptions options, BatchRunResult result, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        return $"""
            ### Batch of {result.Lines:N0} lines end to end{(result.KillsDone > 0 ? $", host killed {result.KillsDone} times" : "")}

            `{MarkdownReport.Command(args)}` on {MarkdownReport.Machine()}. The development host in its own process, Azurite, the
            emulator with {options.ImageDelay.TotalMilliseconds:0} ms per image (no noise content); every {options.InvalidEvery}th line refused by the intake;
            `Batches:MaxJobsAhead` {options.Window}. From `POST /api/batches` to the batch's end: fan-out, every job's generation,
            the output and error files.{(result.LoadAverage is { } load ? $" Load average at the end (1, 5, 15 min): {load}." : "")}{(result.Failure is null ? "" : " Not ended within the timeout.")}

            {MarkdownReport.Table(["lines", "invalid", "status", "output lines", "error lines", "distinct custom_ids", "batch events", "seconds", "lines/s", "host peak RSS (MB)"],
                [[result.Lines.ToString(CultureInfo.InvariantCulture), result.Invalid.ToString(CultureInfo.InvariantCulture), result.Status, result.OutputLines.ToString(CultureInfo.InvariantCulture),
                  result.ErrorLines.ToString(CultureInfo.InvariantCulture), result.DistinctCustomIds.ToString(CultureInfo.InvariantCulture), result.BatchEvents.ToString(CultureInfo.InvariantCulture),
                  MarkdownReport.Format(result.Seconds), MarkdownReport.Format(result.Lines / result.Seconds, "0"), MarkdownReport.Format(result.PeakRss / 1e6, "0")]])}
            """;
    }

    /// <summary>The 1, 5 and 15 minute load averages at the end of the run (the machine is shared).</summary>
    private static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    /// <summary>The development host's setting for the lease of a message while its function runs.</summary>
    private const string QueueLeaseSetting = "DevHost:MessageLease";

    /// <summary>The first kill while the fan-out reads; the others when the succeeded count passes an even share of the valid lines.</summary>
    private static bool ShouldKill(JsonNode batch, int done, int kills, int valid, out bool duringFanOut)
    {
        var counts = batch["requestCounts"]!;
        duringFanOut = !batch["inputRead"]!.GetValue<bool>();
        if (done == 0)
        {
            return counts["total"]!.GetValue<int>() > 0 || !duringFanOut;
        }

        return counts["succeeded"]!.GetValue<int>() >= valid * done / kills;
    }

    private static async Task<JsonNode> GetBatchAsync(CapacityHostProcess host, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return JsonNode.Parse(await host.Http.GetStringAsync(new Uri($"api/batches/{id}", UriKind.Relative), cancellationToken).ConfigureAwait(false))!;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A host restarting after a kill refuses the connection; a host starved of CPU (a loaded machine) can
                // take longer than the client's timeout to answer: both are looked at again, not the end of the run.
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<IReadOnlyList<string>> ReadFileAsync(JsonNode? file, CancellationToken cancellationToken)
    {
        if (file?["url"]?.GetValue<string>() is not { } url)
        {
            return [];
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var lines = new List<string>();
        using var reader = new StreamReader(await http.GetStreamAsync(new Uri(url), cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    private static string? CustomIdOf(string? body) => body is not null && CustomIdPattern().Match(body) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"\[(item-\d+)\]")]
    private static partial Regex CustomIdPattern();

    private static async Task<(long Bytes, int Invalid)> WriteInputAsync(string path, BatchRunOptions options, CancellationToken cancellationToken)
    {
        var example = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"), cancellationToken).ConfigureAwait(false))!.AsObject();
        var invalid = 0;
        await using var file = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        for (var n = 1; n <= options.Lines; n++)
        {
            var body = (JsonObject)example.DeepClone();
            // The custom_id in the prompt: the emulator's request log tells each line's calls apart.
            body["prompt"] = $"[item-{n}] {body["prompt"]!.GetValue<string>()}";
            if (n % options.InvalidEvery == 0)
            {
                body["size"] = "12x12";
                invalid++;
            }

            var line = new JsonObject { ["custom_id"] = $"item-{n}", ["method"] = "POST", ["url"] = "/v1/images/generations", ["body"] = body };
            await file.WriteLineAsync(line.ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (file.BaseStream.Length, invalid);
    }
}

/// <summary>Deletes a run's scratch directory after everything that wrote to it has stopped (disposed before it).</summary>
internal sealed class DirectoryCleanup(DirectoryInfo directory) : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left to the temp folder's own cleanup.
        }

        return ValueTask.CompletedTask;
    }
}
