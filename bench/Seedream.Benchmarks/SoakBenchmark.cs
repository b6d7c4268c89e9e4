using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Seedream.Functions;
using Seedream.Functions.Jobs;
using SeedreamEmulator;

namespace Seedream.Benchmarks;

internal sealed record SoakOptions(int Jobs, int FaultPercent, int Submitters, TimeSpan Timeout);

/// <summary>What one soak job asks for; drawn from a generator seeded with the job's index, so a run can be repeated.</summary>
internal sealed record SoakJob(int Index, string ResponseFormat, bool Stream, int Images, bool ViaQueue, string? Fault)
{
    public string Token => $"soak#{Index.ToString("D5", CultureInfo.InvariantCulture)}";
}

internal sealed record SoakResult(
    int Jobs,
    int FaultedJobs,
    double Seconds,
    int LostJobs,
    int NonTerminalJobs,
    int DuplicateCompletionEvents,
    int RepeatedGenerations,
    IReadOnlyDictionary<string, int> Statuses,
    int GenerationRequests,
    long BaselineBytes,
    long PeakBytes)
{
    public double JobsPerMinute => Jobs / (Seconds / 60);
}

/// <summary>
/// Issue 6.5: many jobs of mixed modes (url / b64_json, stream or not, single or group, HTTP or queue producer) with
/// injected faults through the local stack while the queue listeners run; checks that no job is lost, none completes
/// twice and none is generated twice.
/// </summary>
internal static class SoakBenchmark
{
    public const string Command = "soak";

    /// <summary>How long events keep being counted after every job has its first one (three queue visibility timeouts).</summary>
    public static readonly TimeSpan DuplicateSettleTime = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Prompt faults (applied on every call of that job). A 429 makes the job wait outside the worker until
    /// Pacing:MaxWait, then fail; every other answer is sent once: an error (400, 500) or a lost answer (reset) fails the
    /// job at once, item faults fail items.
    /// </summary>
    private static readonly string[] s_faults =
    [
        "moderation;indexes=0",
        "internal-error-at;index=1",
        "corrupt-base64;index=0",
        "error;status=400;code=InvalidParameter",
        "internal-error",
        "rate-limit;retry-after=1",
        "reset",
        "truncate;after-bytes=200",
        "not-an-image;index=0",
        "expired-urls",
    ];

    public static async Task<SoakResult> RunAsync(SoakOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var baseline = ProcessMemory.WorkingSet;
        // Short queue retry delays, idle polling and lease so faulted jobs reach their end in seconds rather than minutes;
        // the lease must still outlast the Seedream request timeout.
        await using var stack = await LocalStack.StartAsync(
            new Dictionary<string, string> { ["NoiseContent"] = "false" },
            new Dictionary<string, string> { ["visibilityTimeout"] = "00:00:01", ["maxPollingInterval"] = "00:00:00.100" },
            cancellationToken,
            new Dictionary<string, string>
            {
                ["Seedream:RequestTimeout"] = "00:00:30", ["Pipeline:LeaseDuration"] = "00:01:00",
                // A job refused with a 429 on every call (the rate-limit fault is in its prompt) waits outside the worker,
                // then gives up: within the soak's time rather than after a day.
                ["Pacing:RetryDelay"] = "00:00:01", ["Pacing:MaxRetryDelay"] = "00:00:04", ["Pacing:MaxWait"] = "00:00:15",
            }).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = stack.BaseAddress };
        var producerQueue = stack.Azurite.CreateQueueServiceClient().GetQueueClient("generation-requests");
        await producerQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

        var jobIds = new string[options.Jobs];
        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, options.Submitters).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < options.Jobs)
            {
                jobIds[index] = await SubmitAsync(http, producerQueue, index, options, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        await log.WriteLineAsync($"submitted {options.Jobs} jobs in {stopwatch.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);

        var subjects = jobIds.Select(id => $"generations/{id}").ToHashSet(StringComparer.Ordinal);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(options.Timeout);
            var lastReport = TimeSpan.Zero;
            while (!timeout.IsCancellationRequested)
            {
                var done = stack.EventGrid.Events.Select(e => e.Subject).Where(subject => subject is not null && subjects.Contains(subject)).Distinct().Count();
                if (done == options.Jobs)
                {
                    break;
                }

                if (stopwatch.Elapsed - lastReport > TimeSpan.FromSeconds(10))
                {
                    lastReport = stopwatch.Elapsed;
                    await log.WriteLineAsync($"{stopwatch.Elapsed.TotalSeconds:0} s: {done} of {options.Jobs} jobs completed").ConfigureAwait(false);
                }

                try
                {
                    await Task.Delay(100, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Out of time: report what is missing below.
                }
            }
        }

        stopwatch.Stop();
        // A duplicate (a redelivery publishing again) comes after the first event: give redeliveries a few visibility
        // timeouts to show up before counting, or a late one would be missed.
        await Task.Delay(DuplicateSettleTime, cancellationToken).ConfigureAwait(false);
        var peak = ProcessMemory.PeakWorkingSet;
        var events = stack.EventGrid.Events;
        var eventsPerJob = events.Where(e => e.Subject is not null).GroupBy(e => e.Subject!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        var nonTerminal = 0;
        foreach (var id in jobIds)
        {
            var status = await GetStatusAsync(http, id, cancellationToken).ConfigureAwait(false);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (!JobOutcomes.IsFinal(status))
            {
                nonTerminal++;
            }
        }

        var requests = await GetEmulatorRequestsAsync(stack.Emulator, cancellationToken).ConfigureAwait(false);
        var generations = requests.Where(r => r.Method == "POST" && r.Path.Contains("/images/generations", StringComparison.Ordinal)).ToArray();
        // A call may have been billed unless it was refused with a 429: answered 200 or 5xx, or cut off (reset). Only a
        // 429 may be sent again for the same job (a failure before sending never reaches the emulator).
        var repeated = generations
            .Where(r => r.ResponseStatus != 429)
            .GroupBy(r => JobToken(r.Body))
            .Count(group => group.Key is not null && group.Count() > 1);

        return new SoakResult(
            options.Jobs,
            Enumerable.Range(0, options.Jobs).Count(i => Plan(i, options).Fault is not null),
            stopwatch.Elapsed.TotalSeconds,
            LostJobs: subjects.Count(subject => !eventsPerJob.ContainsKey(subject)),
            nonTerminal,
            DuplicateCompletionEvents: eventsPerJob.Where(pair => subjects.Contains(pair.Key)).Sum(pair => pair.Value - 1),
            repeated,
            statuses,
            generations.Length,
            baseline,
            peak);
    }

    public static string Markdown(SoakOptions options, SoakResult result, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"{result.Jobs} jobs ({result.FaultedJobs} with an injected `[emulator-fault:…]` prompt fault drawn from {s_faults.Length} kinds) submitted by {options.Submitters} concurrent producers through the local stack while its queue listeners run. Each job draws, seeded by its index: url or b64_json, `stream` (1 in 3), 1–4 images (Seedream 4.0, `1K`, plain content), a producer queue message (1 in 5) or `POST /api/generations`, and a fault ({options.FaultPercent} %).");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine("- Runs: 1 (a soak checks invariants; its throughput is indicative only). Stack: development host in process, Azurite, emulator process, Event Grid receiver; host.json `visibilityTimeout` 1 s and `maxPollingInterval` 100 ms, `Seedream:RequestTimeout` 30 s, `Pipeline:LeaseDuration` 1 min, so faulted jobs end in seconds.");
        text.AppendLine("- Lost = no completion event; duplicate = more than one completion event for a job; repeated generation = more than one request for the same job that the emulator did not refuse with a 429 (answered 200, 4xx or 5xx, or cut off: each may have been billed), from its request log. Peak = VmHWM of the process hosting the app (with the harness and the Event Grid receiver) minus its VmRSS before the stack started.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["jobs", "lost", "non-terminal", "duplicate events", "repeated generations", "generation requests", "statuses", "minutes", "jobs/minute", "peak MB"],
            [[
                result.Jobs.ToString(CultureInfo.InvariantCulture),
                result.LostJobs.ToString(CultureInfo.InvariantCulture),
                result.NonTerminalJobs.ToString(CultureInfo.InvariantCulture),
                result.DuplicateCompletionEvents.ToString(CultureInfo.InvariantCulture),
                result.RepeatedGenerations.ToString(CultureInfo.InvariantCulture),
                result.GenerationRequests.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", result.Statuses.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value}")),
                MarkdownReport.Format(result.Seconds / 60, "0.00"),
                MarkdownReport.Format(result.JobsPerMinute, "0"),
                MarkdownReport.Format(Statistics.Megabytes(result.PeakBytes - result.BaselineBytes)),
            ]]));
        return text.ToString();
    }

    public static SoakJob Plan(int index, SoakOptions options)
    {
        var random = new Random(index);
        return new SoakJob(
            index,
            random.Next(2) == 0 ? "url" : "b64_json",
            Stream: random.Next(3) == 0,
            Images: random.Next(1, 5),
            ViaQueue: random.Next(5) == 0,
            Fault: random.Next(100) < options.FaultPercent ? s_faults[random.Next(s_faults.Length)] : null);
    }

    private static async Task<string> SubmitAsync(HttpClient http, Azure.Storage.Queues.QueueClient producerQueue, int index, SoakOptions options, CancellationToken cancellationToken)
    {
        var job = Plan(index, options);
        var body = new JsonObject
        {
            ["model"] = StoreRequests.WarmUpModel,
            ["prompt"] = $"{job.Token} a lighthouse on a cliff at dusk" + (job.Fault is null ? "" : $" [emulator-fault:{job.Fault}]"),
            ["size"] = "1K",
            ["response_format"] = job.ResponseFormat,
            ["watermark"] = false,
        };
        if (job.Images > 1)
        {
            body["sequential_image_generation"] = "auto";
            body["sequential_image_generation_options"] = new JsonObject { ["max_images"] = job.Images };
        }

        if (job.Stream)
        {
            body["stream"] = true;
        }

        if (job.ViaQueue)
        {
            var id = $"soak-{index}";
            body["id"] = id;
            await producerQueue.SendMessageAsync(body.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return id;
        }

        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/generations", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"Job {index}: POST /api/generations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        using var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return accepted.RootElement.GetProperty("id").GetString()!;
    }

    private static string? JobToken(string? body)
    {
        var start = body?.IndexOf("soak#", StringComparison.Ordinal) ?? -1;
        return start < 0 ? null : body![start..(start + 10)];
    }

    private static async Task<string> GetStatusAsync(HttpClient http, string id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri($"api/generations/{id}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return "missing";
        }

        response.EnsureSuccessStatusCode();
        using var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return job.RootElement.GetProperty("status").GetString() ?? "none";
    }

    private static async Task<IReadOnlyList<ReceivedRequest>> GetEmulatorRequestsAsync(EmulatorProcess emulator, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };
        return await http.GetFromJsonAsync<ReceivedRequest[]>("_emulator/requests", JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The emulator returned no request log.");
    }
}
