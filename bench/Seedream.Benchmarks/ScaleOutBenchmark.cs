using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventGridReceiver;
using Seedream.Functions.Pacing;
using Seedream.Testing;
using SeedreamEmulator;

namespace Seedream.Benchmarks;

/// <summary>Settings of a <see cref="ScaleOutBenchmark"/> run.</summary>
internal sealed record ScaleOutOptions(
    int Instances,
    int JobsPerSize,
    IReadOnlyList<int> JobSizes,
    int ImagesPerWindow,
    TimeSpan Window,
    TimeSpan ImageDelay,
    IReadOnlyList<string> Modes,
    TimeSpan ModeTimeout,
    string Model = "doubao-seedream-4-0-250828")
{
    /// <summary>The limit as the provider states it: images per minute.</summary>
    public double ImagesPerMinute => ImagesPerWindow * 60 / Window.TotalSeconds;
}

/// <summary>Time to finish (enqueue to terminal event) of the jobs of one size.</summary>
internal sealed record JobSizeTimes(int Images, int Jobs, double P50, double P95);

/// <summary>One pacing mode's run of the same backlog.</summary>
internal sealed record ScaleOutRun(
    string Mode,
    int Jobs,
    int Succeeded,
    int Failed,
    int FailedByRateLimit,
    int Poisoned,
    int Unfinished,
    int Calls,
    int Refused,
    int ImagesGenerated,
    double GoodputShare,
    double Seconds,
    IReadOnlyList<JobSizeTimes> BySize,
    IReadOnlyList<long> PeakRssPerInstance,
    int RepeatedGenerations,
    int JobsWithoutOneTerminalEvent,
    string? Failure)
{
    public double RefusedShare => Calls == 0 ? 0 : (double)Refused / Calls;

    public double P95Ratio
    {
        get
        {
            var small = BySize.FirstOrDefault(s => s.Images == BySize.Min(b => b.Images));
            var large = BySize.FirstOrDefault(s => s.Images == BySize.Max(b => b.Images));
            return small is null || large is null || small.P95 == 0 ? double.NaN : large.P95 / small.P95;
        }
    }
}

/// <summary>
/// Issue 23: several development hosts (as Flex instances) on one Azurite and one emulator that enforces a scaled
/// per-model limit; a backlog of jobs of mixed sizes submitted at once to the queue; the same backlog for each pacing
/// mode in the same run (Off is the behaviour before the issue). Every job's prompt carries its id, so the emulator's
/// request log shows how often each job was generated and how many calls were refused.
/// </summary>
internal static class ScaleOutBenchmark
{
    public const string Command = "scale-out";

    private static readonly string[] s_rateLimitCodes =
    [
        "ModelAccountIpmRateLimitExceeded", "ModelAccountRpmRateLimitExceeded", "RequestBurstTooFast", "RetriesExhausted",
    ];

    public static async Task<IReadOnlyList<ScaleOutRun>> RunAsync(ScaleOutOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var emulator = await EmulatorProcess.StartAsync(new Dictionary<string, string>
        {
            ["NoiseContent"] = "false",
            ["ImageDelay"] = options.ImageDelay.ToString("c", CultureInfo.InvariantCulture),
            ["RateLimits__ImagesPerWindow"] = options.ImagesPerWindow.ToString(CultureInfo.InvariantCulture),
            ["RateLimits__Window"] = options.Window.ToString("c", CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        await using var eventGrid = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var control = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var runs = new List<ScaleOutRun>();
        foreach (var mode in options.Modes)
        {
            await log.WriteLineAsync($"scale-out: {mode}, {options.Instances} instances, {options.JobsPerSize * options.JobSizes.Count} jobs ...").ConfigureAwait(false);
            // Each mode starts with the provider's whole budget and an empty request log.
            if (runs.Count > 0)
            {
                await Task.Delay(options.Window, cancellationToken).ConfigureAwait(false);
            }

            (await control.DeleteAsync(new Uri("_emulator/rate-limits", UriKind.Relative), cancellationToken).ConfigureAwait(false)).EnsureSuccessStatusCode();
            (await control.DeleteAsync(new Uri("_emulator/requests", UriKind.Relative), cancellationToken).ConfigureAwait(false)).EnsureSuccessStatusCode();
            var run = await RunModeAsync(options, mode, azurite, emulator, eventGrid, control, cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync(
                $"  goodput {run.GoodputShare:P0} of the limit, {run.Refused}/{run.Calls} calls refused, {run.Succeeded} succeeded, {run.Failed} failed ({run.FailedByRateLimit} by rate limits, {run.Poisoned} poisoned), {run.Unfinished} unfinished, "
                + $"{run.RepeatedGenerations} repeated generations, {run.JobsWithoutOneTerminalEvent} jobs without exactly one terminal event, {run.Seconds:0} s{(run.Failure is null ? "" : ", " + run.Failure)}").ConfigureAwait(false);
            runs.Add(run);
        }

        return runs;
    }

    private static async Task<ScaleOutRun> RunModeAsync(
        ScaleOutOptions options, string mode, AzuriteInstance azurite, EmulatorProcess emulator, EventGridReceiverServer eventGrid, HttpClient control, CancellationToken cancellationToken)
    {
        var name = mode.ToLowerInvariant();
        var settings = LocalStack.PipelineSettings(azurite, emulator, eventGrid);
        settings["GenerationRequestsQueue"] = $"scale-{name}";
        settings["InboxEventsQueue"] = $"scale-inbox-{name}";
        settings["JobsContainer"] = $"scale-jobs-{name}";
        settings["ImagesContainer"] = $"scale-images-{name}";
        settings["JobIndexTable"] = $"scaleindex{name}";
        settings["Pacing:Mode"] = mode;
        settings["Pacing:ImagesPerMinute"] = options.ImagesPerWindow.ToString(CultureInfo.InvariantCulture);
        settings["Pacing:Window"] = options.Window.ToString("c", CultureInfo.InvariantCulture);
        // The client's and the pacer's waits, scaled with the window (5 s of a minute).
        var retry = TimeSpan.FromTicks(options.Window.Ticks / 12);
        settings["Seedream:DefaultRetryAfter"] = retry.ToString("c", CultureInfo.InvariantCulture);
        settings["Pacing:RetryDelay"] = retry.ToString("c", CultureInfo.InvariantCulture);
        settings["Pacing:MaxRetryDelay"] = options.Window.ToString("c", CultureInfo.InvariantCulture);
        if (mode == nameof(PacingMode.Off))
        {
            settings["Seedream:MaxRateLimitRetries"] = "3";
        }

        var hosts = await Task.WhenAll(Enumerable.Range(0, options.Instances)
            .Select(_ => CapacityHostProcess.StartAsync(new Dictionary<string, string>(), settings, cancellationToken))).ConfigureAwait(false);
        try
        {
            var queue = azurite.CreateQueueServiceClient().GetQueueClient(settings["GenerationRequestsQueue"]);
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var jobs = options.JobSizes
                .SelectMany(size => Enumerable.Range(0, options.JobsPerSize).Select(i => (Id: $"so-{name}-{size}-{i}-{Guid.NewGuid():N}"[..40], Images: size)))
                .OrderBy(_ => Random.Shared.Next())
                .ToArray();
            var sizeOf = jobs.ToDictionary(job => job.Id, job => job.Images, StringComparer.Ordinal);

            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(jobs.Select(job => queue.SendMessageAsync(RequestJson(options.Model, job.Id, job.Images), cancellationToken))).ConfigureAwait(false);

            var finished = new Dictionary<string, double>(StringComparer.Ordinal);
            var peaks = new long[hosts.Length];
            var deadline = stopwatch.Elapsed + options.ModeTimeout;
            string? failure = null;
            while (finished.Count < jobs.Length)
            {
                if (hosts.FirstOrDefault(host => host.HasExited) is { } exited)
                {
                    failure = $"an instance exited: {exited.Output}";
                    break;
                }

                if (stopwatch.Elapsed > deadline)
                {
                    failure = $"{jobs.Length - finished.Count} jobs unfinished after {options.ModeTimeout}";
                    break;
                }

                foreach (var cloudEvent in eventGrid.Events)
                {
                    if (cloudEvent.Subject?.StartsWith("generations/", StringComparison.Ordinal) == true
                        && cloudEvent.Subject["generations/".Length..] is var id && sizeOf.ContainsKey(id))
                    {
                        finished.TryAdd(id, stopwatch.Elapsed.TotalSeconds);
                    }
                }

                for (var i = 0; i < hosts.Length; i++)
                {
                    peaks[i] = Math.Max(peaks[i], hosts[i].WorkingSet);
                }

                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }

            // Late duplicates would show here.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < hosts.Length; i++)
            {
                peaks[i] = Math.Max(peaks[i], hosts[i].PeakWorkingSet);
            }

            var statuses = new List<JobState>(jobs.Length);
            foreach (var job in jobs)
            {
                // One at a time: a loaded instance must not time out on the harness's own reads.
                statuses.Add(await StatusAsync(hosts[0], job.Id, cancellationToken).ConfigureAwait(false));
            }

            // After the statuses, so that a job that ended just now has its event counted too.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var eventsPerJob = eventGrid.Events.Where(e => e.Subject is not null).GroupBy(e => e.Subject!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var ended = jobs.Zip(statuses).Where(pair => pair.Second.Status is not ("queued" or "running" or "missing")).Select(pair => pair.First.Id).ToHashSet(StringComparer.Ordinal);
            var requests = await control.GetFromJsonAsync<ReceivedRequest[]>(new Uri("_emulator/requests", UriKind.Relative), JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false) ?? [];
            var calls = requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal) && JobIdOf(r.Body) is { } id && sizeOf.ContainsKey(id)).ToList();
            var answered = calls.Where(r => r.ResponseStatus == 200).ToList();

            return new ScaleOutRun(
                mode,
                jobs.Length,
                Succeeded: statuses.Count(s => s.Status == "succeeded"),
                Failed: statuses.Count(s => s.Status == "failed"),
                FailedByRateLimit: statuses.Count(s => s.Status == "failed" && s_rateLimitCodes.Contains(s.ErrorCode)),
                Poisoned: statuses.Count(s => s.ErrorCode == "RetriesExhausted"),
                Unfinished: statuses.Count(s => s.Status is "queued" or "running" or "missing"),
                Calls: calls.Count,
                Refused: calls.Count(r => r.ResponseStatus == 429),
                ImagesGenerated: answered.Sum(r => sizeOf[JobIdOf(r.Body)!]),
                // The log's receive time stands for the admission, a body's read (milliseconds) before it.
                GoodputShare: Goodput(answered.Select(r => (r.ReceivedAt, sizeOf[JobIdOf(r.Body)!])).ToList(), options),
                Seconds: finished.Count == 0 ? stopwatch.Elapsed.TotalSeconds : finished.Values.Max(),
                BySize: options.JobSizes.Select(size =>
                {
                    var times = jobs.Where(job => job.Images == size && finished.ContainsKey(job.Id)).Select(job => finished[job.Id]).ToArray();
                    return new JobSizeTimes(size, times.Length, times.Length == 0 ? double.NaN : Statistics.Percentile(times, 50), times.Length == 0 ? double.NaN : Statistics.Percentile(times, 95));
                }).ToList(),
                PeakRssPerInstance: peaks,
                RepeatedGenerations: answered.GroupBy(r => JobIdOf(r.Body)).Sum(g => g.Count() - 1),
                // Ended jobs with no or several terminal events, and unfinished ones with any.
                JobsWithoutOneTerminalEvent: jobs.Count(job => eventsPerJob.GetValueOrDefault($"generations/{job.Id}") is var count && (ended.Contains(job.Id) ? count != 1 : count > 0)),
                failure);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>How often <see cref="Goodput"/> samples the start of a window.</summary>
    internal static readonly TimeSpan GoodputStep = TimeSpan.FromSeconds(0.25);

    /// <summary>
    /// The share of the limit the backlog used while it ran: the mean, over every window [t, t + W) that lies within the
    /// busy period (t sampled every <see cref="GoodputStep"/>), of the images admitted in that window ÷ L. The busy period
    /// runs from the first admission to the admission of the 90th-percentile image (the tail, when only a few jobs are
    /// left, measures the backlog's end, not the pacing). Each window is one the provider's sliding window also sees, so
    /// no sample can exceed L under a correct limiter, whatever the span; a rate over an arbitrary span could (a sliding
    /// window admits up to L × (T/W + 1) in a span T).
    /// </summary>
    public static double Goodput(IReadOnlyList<(DateTimeOffset At, int Images)> admitted, ScaleOutOptions options)
    {
        ArgumentNullException.ThrowIfNull(admitted);
        ArgumentNullException.ThrowIfNull(options);
        if (admitted.Count == 0)
        {
            return 0;
        }

        var ordered = admitted.OrderBy(a => a.At).ToList();
        var total = ordered.Sum(a => a.Images);
        var start = ordered[0].At;
        var end = ordered[^1].At;
        var cumulative = 0;
        foreach (var (at, images) in ordered)
        {
            cumulative += images;
            if (cumulative >= total * 0.9)
            {
                end = at;
                break;
            }
        }

        if (end - start < options.Window)
        {
            // The bulk fitted into one window, which the provider saw whole: report that window.
            return (double)ordered.Where(a => a.At <= end).Sum(a => a.Images) / options.ImagesPerWindow;
        }

        // Two pointers over the ordered admissions: [first, next) are the ones in [t, t + W).
        int first = 0, next = 0, inWindow = 0, samples = 0;
        double sum = 0;
        for (var t = start; t + options.Window <= end; t += GoodputStep)
        {
            while (next < ordered.Count && ordered[next].At < t + options.Window)
            {
                inWindow += ordered[next++].Images;
            }

            while (first < next && ordered[first].At < t)
            {
                inWindow -= ordered[first++].Images;
            }

            sum += inWindow;
            samples++;
        }

        return sum / samples / options.ImagesPerWindow;
    }

    private static string RequestJson(string model, string id, int images)
    {
        var request = new JsonObject
        {
            ["id"] = id,
            ["model"] = model,
            ["prompt"] = $"scale-out job {id}",
            ["size"] = "1K",
            ["response_format"] = "b64_json",
            ["watermark"] = false,
        };
        if (images > 1)
        {
            request["sequential_image_generation"] = "auto";
            request["sequential_image_generation_options"] = new JsonObject { ["max_images"] = images };
        }

        return request.ToJsonString();
    }

    private static string? JobIdOf(string? body)
    {
        if (body is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("prompt", out var prompt) && prompt.GetString() is { } text && text.StartsWith("scale-out job ", StringComparison.Ordinal)
                ? text["scale-out job ".Length..]
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record JobState(string Status, string? ErrorCode);

    private static async Task<JobState> StatusAsync(CapacityHostProcess host, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadStatusAsync(host, id, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskCanceledException) when (attempt < 3 && !cancellationToken.IsCancellationRequested)
            {
                // The instance was too busy to answer within the client's timeout: ask again.
            }
        }
    }

    private static async Task<JobState> ReadStatusAsync(CapacityHostProcess host, string id, CancellationToken cancellationToken)
    {
        using var response = await host.Http.GetAsync(new Uri($"api/generations/{id}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new JobState("missing", null);
        }

        response.EnsureSuccessStatusCode();
        using var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var code = job.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) ? c.GetString() : null;
        return new JobState(job.RootElement.GetProperty("status").GetString() ?? "none", code);
    }

    public static string Markdown(ScaleOutOptions options, IReadOnlyList<ScaleOutRun> runs, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(options);
        var inv = CultureInfo.InvariantCulture;
        var sizes = options.JobSizes;
        var headers = new List<string> { "mode", "goodput (share of limit)", "calls answered 429", "succeeded / failed (by rate limit) / poisoned / unfinished" };
        headers.AddRange(sizes.Select(size => $"{size}-image p50 / p95 s"));
        headers.AddRange(["p95 largest / smallest", "peak RSS per instance (MB)", "repeated generations", "jobs without exactly one terminal event", "backlog done (s)"]);
        var rows = runs.Select(run =>
        {
            var row = new List<string>
            {
                run.Mode,
                run.GoodputShare.ToString("P0", inv),
                $"{run.RefusedShare.ToString("P1", inv)} ({run.Refused}/{run.Calls})",
                $"{run.Succeeded} / {run.Failed} ({run.FailedByRateLimit}) / {run.Poisoned} / {run.Unfinished}",
            };
            row.AddRange(run.BySize.Select(s => $"{s.P50.ToString("0.0", inv)} / {s.P95.ToString("0.0", inv)}"));
            row.AddRange([
                run.P95Ratio.ToString("0.00", inv),
                string.Join(", ", run.PeakRssPerInstance.Select(bytes => Statistics.Megabytes(bytes).ToString("0", inv))),
                run.RepeatedGenerations.ToString(inv),
                run.JobsWithoutOneTerminalEvent.ToString(inv),
                run.Seconds.ToString("0", inv) + (run.Failure is null ? "" : " (" + run.Failure.Split('\n')[0] + ")"),
            ]);
            return (IReadOnlyList<string>)row;
        });
        var images = options.JobsPerSize * sizes.Sum();
        var ledger = new PacingLedger(new PacingOptions { ImagesPerMinute = options.ImagesPerWindow, Window = options.Window });
        return $"""
            ## Scale-out under the provider's limit: {options.Instances} instances, one scaled IPM limit, pacing modes side by side

            {MarkdownReport.Command(arguments)}

            Machine: {MarkdownReport.Machine()}

            {options.Instances} development hosts (each as one Flex instance: host.json's 8 + 8 messages at once) on one Azurite
            and one emulator limited to {options.ImagesPerWindow} images per {options.Window.TotalSeconds.ToString("0", inv)} s window
            and model ({options.ImagesPerMinute.ToString("0", inv)} IPM, the provider's shape scaled), {options.ImageDelay.TotalMilliseconds.ToString("0", inv)} ms per image;
            {options.JobsPerSize * sizes.Count} jobs ({options.JobsPerSize} each of {string.Join(", ", sizes)} images, {images} images, shuffled)
            sent to the queue at once, the same backlog per mode in one run. Waits (the client's `DefaultRetryAfter`, `Pacing:RetryDelay`)
            are scaled with the window (a twelfth of it, as 5 s is of a minute). Goodput: the mean, over every window [t, t + {options.Window.TotalSeconds.ToString("0", inv)} s)
            from the first admission to the admission of the 90th-percentile image (t every {GoodputStep.TotalSeconds.ToString("0.00", inv)} s), of the images the
            emulator admitted in that window, as a share of the limit (the provider's own sliding window: at most 100 %). Calls and
            repeated generations come from the emulator's request log (each prompt names its job); terminal events from the
            Event Grid receiver. Time to finish: from sending the backlog to the job's terminal event. SharedBudget's design
            ceiling at these settings (defaults: TargetShare 0.98, ArrivalSlack 2 s): {ledger.Ceiling.ToString("P1", inv)} of the limit
            ({ledger.LongCap} images per {(ledger.LongSlots * PacingLedger.SlotLength).TotalSeconds.ToString("0.00", inv)} s).

            {MarkdownReport.Table(headers, rows)}
            """;
    }
}
