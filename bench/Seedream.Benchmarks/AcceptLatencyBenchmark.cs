using System.Diagnostics;
using System.Net;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;

namespace Seedream.Benchmarks;

internal sealed record AcceptLatencyOptions(int Requests, int Runs);

/// <summary>Latencies of one run of one path, in milliseconds.</summary>
internal sealed record LatencyRun(double P50, double P99, double Max);

internal sealed record AcceptLatencyResult(int JobRecordBytes, IReadOnlyList<LatencyRun> Ours, IReadOnlyList<LatencyRun> Bare);

/// <summary>
/// Issue 6.3: latency of <c>POST /api/generations</c> on the local stack against the bare storage operations it needs:
/// one conditional blob write of a job record of the same size plus one enqueue.
/// </summary>
internal static class AcceptLatencyBenchmark
{
    public const string Command = "accept-latency";

    private const int WarmUpRequests = 50;

    public static async Task<AcceptLatencyResult> RunAsync(AcceptLatencyOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        // Workers pick up the accepted jobs and then wait on a slow emulator, so they hold their few messages without
        // spending CPU, as during real generations, while the accept path is measured.
        await using var stack = await LocalStack.StartAsync(
            new Dictionary<string, string> { ["ImageDelay"] = "01:00:00" }, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = stack.BaseAddress };
        var body = StoreRequests.Json(SeedreamModels.Seedream50Lite, "2K", 1, "png", responseFormat: "url");

        // The bare path writes the job record the app itself wrote, so both move the same bytes.
        var firstJob = await SubmitAsync(http, body, cancellationToken).ConfigureAwait(false);
        var jobs = stack.Azurite.CreateBlobServiceClient().GetBlobContainerClient("jobs");
        var jobRecord = (await jobs.GetBlobClient($"{firstJob}.json").DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        var bareContainer = stack.Azurite.CreateBlobServiceClient().GetBlobContainerClient("bench-bare-jobs");
        await bareContainer.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var bareQueue = stack.Azurite.CreateQueueServiceClient().GetQueueClient("bench-bare-requests");
        await bareQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

        Func<Task> ours = async () => await SubmitAsync(http, body, cancellationToken).ConfigureAwait(false);
        Func<Task> bare = async () =>
        {
            var id = Guid.NewGuid().ToString("N");
            await bareContainer.GetBlobClient($"{id}.json").UploadAsync(jobRecord, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, cancellationToken).ConfigureAwait(false);
            await bareQueue.SendMessageAsync($$"""{"id":"{{id}}","traceparent":"00-{{Guid.NewGuid():N}}-{{Guid.NewGuid().ToString("N")[..16]}}-01"}""", cancellationToken).ConfigureAwait(false);
        };

        for (var i = 0; i < WarmUpRequests; i++)
        {
            await ours().ConfigureAwait(false);
            await bare().ConfigureAwait(false);
        }

        var oursRuns = new List<LatencyRun>();
        var bareRuns = new List<LatencyRun>();
        for (var run = 0; run < options.Runs; run++)
        {
            foreach (var path in run % 2 == 0 ? new[] { "ours", "bare" } : ["bare", "ours"])
            {
                var latencies = await MeasureAsync(path == "ours" ? ours : bare, options.Requests).ConfigureAwait(false);
                (path == "ours" ? oursRuns : bareRuns).Add(latencies);
                await log.WriteLineAsync($"run {run + 1} {path}: p50 {latencies.P50:0.00} ms, p99 {latencies.P99:0.00} ms").ConfigureAwait(false);
            }
        }

        return new AcceptLatencyResult((int)jobRecord.ToMemory().Length, oursRuns, bareRuns);
    }

    public static string Markdown(AcceptLatencyOptions options, AcceptLatencyResult result, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"`POST /api/generations` (a valid Seedream 5.0 lite url request, 202 expected) on the development host in process, sequential requests over one keep-alive connection, against a bare conditional blob write of a job record of the same size ({result.JobRecordBytes} bytes) plus one enqueue.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Runs: {options.Runs} × {options.Requests} requests per path after {WarmUpRequests} warm-up requests each, paths alternating first; figures are medians over runs, ratios medians of per-run ours÷bare.");
        text.AppendLine("- Stack: Azurite (in memory), emulator process, Event Grid receiver, queue listeners running (their jobs wait on a slow emulator so they hold their messages without spending CPU), logging at Warning.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["path", "p50 ms", "p99 ms", "max ms"],
            [
                ["ours: POST /api/generations", .. Row(result.Ours)],
                ["bare: blob write + enqueue", .. Row(result.Bare)],
                ["ours ÷ bare", Ratio(result, run => run.P50), Ratio(result, run => run.P99), ""],
            ]));
        return text.ToString();
    }

    private static string[] Row(IReadOnlyList<LatencyRun> runs) =>
    [
        MarkdownReport.Format(Statistics.Median(runs.Select(run => run.P50)), "0.00"),
        MarkdownReport.Format(Statistics.Median(runs.Select(run => run.P99)), "0.00"),
        MarkdownReport.Format(Statistics.Median(runs.Select(run => run.Max)), "0.00"),
    ];

    private static string Ratio(AcceptLatencyResult result, Func<LatencyRun, double> figure) =>
        MarkdownReport.Format(Statistics.Median(result.Ours.Zip(result.Bare, (ours, bare) => figure(ours) / figure(bare))), "0.00") + "×";

    private static async Task<LatencyRun> MeasureAsync(Func<Task> operation, int count)
    {
        var latencies = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await operation().ConfigureAwait(false);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return new LatencyRun(Statistics.Percentile(latencies, 50), Statistics.Percentile(latencies, 99), latencies.Max());
    }

    private static async Task<string> SubmitAsync(HttpClient http, string body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/generations", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/generations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return json.RootElement.GetProperty("id").GetString() ?? throw new InvalidOperationException("The 202 carried no job id.");
    }
}
