using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventGridReceiver;

namespace Seedream.Benchmarks;

internal sealed record WebhookBenchmarkOptions(int Jobs, TimeSpan ReceiverDelay, int Rounds, int Submitters, TimeSpan Timeout);

/// <summary>One batch of jobs: how long until every job's terminal event, with or without a callback each.</summary>
internal sealed record WebhookPass(int Round, bool Callbacks, int Jobs, double Seconds, int DeliveredWhenGenerationsEnded)
{
    public double JobsPerMinute => Jobs / (Seconds / 60);
}

internal sealed record WebhookBenchmarkResult(IReadOnlyList<WebhookPass> Passes, int ExpectedDeliveries, int Delivered, int Verified, double DrainSeconds);

/// <summary>
/// Issue 22: jobs with a callback to a receiver that takes its time per delivery against the same jobs without one,
/// in the same stack, alternating, so that callbacks are shown not to slow generation (deliveries run from their own queue).
/// </summary>
internal static class WebhookBenchmark
{
    public const string Command = "webhooks";

    public static async Task<WebhookBenchmarkResult> RunAsync(WebhookBenchmarkOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await using var receiver = await WebhookReceiverServer.StartAsync(secret).ConfigureAwait(false);
        receiver.Receiver.Delay = options.ReceiverDelay;
        await using var stack = await LocalStack.StartAsync(
            new Dictionary<string, string> { ["NoiseContent"] = "false" },
            new Dictionary<string, string> { ["maxPollingInterval"] = "00:00:00.100" },
            cancellationToken,
            new Dictionary<string, string>
            {
                ["Webhooks:SigningSecrets:0"] = secret,
                ["Webhooks:Timeout"] = "00:00:30",
                ["Intake:AllowLoopbackReferences"] = "true",
                ["Intake:ProbeReferenceUrls"] = "false",
            }).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = stack.BaseAddress };

        // A warm-up pass (not counted): the first jobs of a fresh stack pay for JIT, connections and container creation.
        await RunPassAsync(stack, http, receiver, -1, callbacks: false, options, cancellationToken).ConfigureAwait(false);
        var passes = new List<WebhookPass>();
        var expected = 0;
        var drainSeconds = 0.0;
        for (var round = 0; round < options.Rounds; round++)
        {
            // Alternate which goes first, so that neither always runs on a warmer (or busier) stack.
            foreach (var callbacks in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var pass = await RunPassAsync(stack, http, receiver, round, callbacks, options, cancellationToken).ConfigureAwait(false);
                passes.Add(pass);
                await log.WriteLineAsync($"round {round + 1} {(callbacks ? "with" : "without")} callbacks: {pass.Jobs} jobs in {pass.Seconds:0.0} s ({pass.JobsPerMinute:0}/min); {pass.DeliveredWhenGenerationsEnded} callbacks delivered by then").ConfigureAwait(false);
                if (callbacks)
                {
                    // Every callback of this pass arrives before the next pass starts, so that no pass runs beside another's deliveries.
                    expected += pass.Jobs;
                    var drain = Stopwatch.StartNew();
                    await receiver.Receiver.WaitForAsync(d => d.AnsweredStatus == 200, expected, options.Timeout).ConfigureAwait(false);
                    drainSeconds = Math.Max(drainSeconds, drain.Elapsed.TotalSeconds);
                }
            }
        }

        var received = receiver.Receiver.Received.Where(d => d.AnsweredStatus == 200).ToList();
        return new WebhookBenchmarkResult(passes, expected, received.Select(d => d.WebhookId).Distinct().Count(), received.Count(d => d.Verified), drainSeconds);
    }

    public static string Markdown(WebhookBenchmarkOptions options, WebhookBenchmarkResult result, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"{options.Jobs} jobs per pass (Seedream 4.0, `1K`, url, plain content) submitted by {options.Submitters} concurrent callers to `POST /api/generations` of the local stack; \"with\" passes name a `webhook` (`job.ended`) on a loopback receiver that holds every delivery {options.ReceiverDelay.TotalSeconds:0.#} s before answering 200. Passes alternate in the same stack after one uncounted warm-up pass; a \"with\" pass's callbacks all arrive before the next pass starts; time = first submission to the last job's terminal Event Grid event.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine("- Stack: development host in process (queue listeners: generation-requests and webhook-deliveries, host.json batch sizes), Azurite, emulator process, Event Grid receiver; host.json `maxPollingInterval` 100 ms.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["round", "callbacks", "jobs", "seconds", "jobs/minute", "callbacks delivered when the generations ended"],
            result.Passes.Select(p => (IReadOnlyList<string>)
            [
                (p.Round + 1).ToString(CultureInfo.InvariantCulture),
                p.Callbacks ? "with" : "without",
                p.Jobs.ToString(CultureInfo.InvariantCulture),
                MarkdownReport.Format(p.Seconds),
                MarkdownReport.Format(p.JobsPerMinute, "0"),
                p.Callbacks ? p.DeliveredWhenGenerationsEnded.ToString(CultureInfo.InvariantCulture) : "–",
            ])));
        var with = result.Passes.Where(p => p.Callbacks).Sum(p => p.Seconds);
        var without = result.Passes.Where(p => !p.Callbacks).Sum(p => p.Seconds);
        text.AppendLine();
        text.AppendLine($"Generation time with callbacks / without: **{MarkdownReport.Format(with / without, "0.00")}×** (summed over rounds). Callbacks: {result.Delivered} of {result.ExpectedDeliveries} notifications delivered ({result.Verified} deliveries verified by the receiver with the NuGet StandardWebhooks package), at most {MarkdownReport.Format(result.DrainSeconds)} s after a pass's generations ended.");
        return text.ToString();
    }

    private static async Task<WebhookPass> RunPassAsync(
        LocalStack stack, HttpClient http, WebhookReceiverServer receiver, int round, bool callbacks, WebhookBenchmarkOptions options, CancellationToken cancellationToken)
    {
        var ids = new string[options.Jobs];
        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, options.Submitters).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < options.Jobs)
            {
                var body = new JsonObject
                {
                    ["model"] = "doubao-seedream-4-0-250828",
                    ["prompt"] = $"webhook bench {round}/{callbacks}/{index}",
                    ["size"] = "1K",
                    ["response_format"] = "url",
                    ["watermark"] = false,
                };
                if (callbacks)
                {
                    body["webhook"] = new JsonObject { ["url"] = receiver.UrlFor("bench").ToString() };
                }

                using var response = await http.PostAsync("api/generations", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                ids[index] = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false)).GetProperty("id").GetString()!;
            }
        })).ConfigureAwait(false);

        var subjects = ids.Select(id => $"generations/{id}").ToHashSet(StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        while (stack.EventGrid.Events.Select(e => e.Subject).Where(s => s is not null && subjects.Contains(s)).Distinct().Count() < options.Jobs)
        {
            await Task.Delay(50, timeout.Token).ConfigureAwait(false);
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        var delivered = receiver.Receiver.Received.Count(d => d.AnsweredStatus == 200 && d.WebhookId is { } id && ids.Any(job => id.StartsWith(job, StringComparison.Ordinal)));
        return new WebhookPass(round, callbacks, options.Jobs, seconds, delivered);
    }
}
