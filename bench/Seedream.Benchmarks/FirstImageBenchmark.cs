using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;

namespace Seedream.Benchmarks;

internal sealed record FirstImageOptions(int Images, TimeSpan ImageDelay, string Size, string Model, string ResponseFormat, int Runs);

/// <summary>Seconds from the accepted POST to the first stored image blob and to the job's completion event.</summary>
internal sealed record FirstImageRun(double FirstStoredSeconds, double CompletedSeconds, int StoredImages);

internal sealed record FirstImageResult(IReadOnlyList<FirstImageRun> Streaming, IReadOnlyList<FirstImageRun> Whole);

/// <summary>
/// Issue 6.4: time to the first stored image of a group through the whole local stack with <c>stream: true</c>
/// (each image is stored as its SSE event arrives) against <c>stream: false</c> (the response waits for the whole group).
/// </summary>
internal static class FirstImageBenchmark
{
    public const string Command = "first-image";

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<FirstImageResult> RunAsync(FirstImageOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        // Idle queue polling backs off up to host.json's maxPollingInterval (2 s); 100 ms keeps pick-up delay out of the figures.
        await using var stack = await LocalStack.StartAsync(
            new Dictionary<string, string> { ["ImageDelay"] = options.ImageDelay.ToString("c", CultureInfo.InvariantCulture) },
            new Dictionary<string, string> { ["maxPollingInterval"] = "00:00:00.100" },
            cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = stack.BaseAddress };

        // One unmeasured job per mode encodes the emulator's images and JIT-compiles both paths.
        await MeasureAsync(stack, http, options, stream: true, cancellationToken).ConfigureAwait(false);
        await MeasureAsync(stack, http, options, stream: false, cancellationToken).ConfigureAwait(false);

        var streaming = new List<FirstImageRun>();
        var whole = new List<FirstImageRun>();
        for (var run = 0; run < options.Runs; run++)
        {
            foreach (var stream in run % 2 == 0 ? new[] { true, false } : [false, true])
            {
                var measured = await MeasureAsync(stack, http, options, stream, cancellationToken).ConfigureAwait(false);
                (stream ? streaming : whole).Add(measured);
                await log.WriteLineAsync($"run {run + 1} stream={stream}: first stored {measured.FirstStoredSeconds:0.00} s, completed {measured.CompletedSeconds:0.00} s").ConfigureAwait(false);
            }
        }

        return new FirstImageResult(streaming, whole);
    }

    public static string Markdown(FirstImageOptions options, FirstImageResult result, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"A group of {options.Images} × {options.Size} images (model `{options.Model}`, `response_format: {options.ResponseFormat}`, noise content) submitted with `POST /api/generations`; the emulator takes {options.ImageDelay.TotalSeconds:0.###} s per image. Timed from the 202 to the first image blob committed in Azurite, and to the job's completion event.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Runs: {options.Runs} per mode after one unmeasured job per mode, modes alternating first; figures are medians, ratios medians of per-run pairs. Blobs and events are polled every {s_pollInterval.TotalMilliseconds:0} ms.");
        text.AppendLine("- Stack: development host in process (queue listeners running, host.json `maxPollingInterval` lowered to 100 ms so idle-queue back-off does not add up to 2 s), Azurite, emulator process, Event Grid receiver.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["mode", "first image stored s", "all stored (completion event) s"],
            [
                ["`stream: true`", Median(result.Streaming, run => run.FirstStoredSeconds), Median(result.Streaming, run => run.CompletedSeconds)],
                ["`stream: false`", Median(result.Whole, run => run.FirstStoredSeconds), Median(result.Whole, run => run.CompletedSeconds)],
                ["stream ÷ whole", Ratio(result, run => run.FirstStoredSeconds), Ratio(result, run => run.CompletedSeconds)],
            ]));
        return text.ToString();
    }

    private static string Median(IReadOnlyList<FirstImageRun> runs, Func<FirstImageRun, double> figure) =>
        MarkdownReport.Format(Statistics.Median(runs.Select(figure)), "0.00");

    private static string Ratio(FirstImageResult result, Func<FirstImageRun, double> figure) =>
        MarkdownReport.Format(Statistics.Median(result.Streaming.Zip(result.Whole, (stream, whole) => figure(stream) / figure(whole))), "0.00") + "×";

    private static async Task<FirstImageRun> MeasureAsync(LocalStack stack, HttpClient http, FirstImageOptions options, bool stream, CancellationToken cancellationToken)
    {
        var body = StoreRequests.Json(options.Model, options.Size, options.Images, outputFormat: options.Model == StoreRequests.WarmUpModel ? null : "png", responseFormat: options.ResponseFormat, stream: stream);
        var images = stack.Azurite.CreateBlobServiceClient().GetBlobContainerClient("images");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var start = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync(new Uri("api/generations", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/generations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        using var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var id = accepted.RootElement.GetProperty("id").GetString()!;
        var subject = $"generations/{id}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ImageDelay * options.Images + TimeSpan.FromMinutes(2));
        double? firstStored = null;
        while (true)
        {
            var stored = 0;
            await foreach (var _ in images.GetBlobsAsync(new GetBlobsOptions { Prefix = id + "/" }, timeout.Token).ConfigureAwait(false))
            {
                stored++;
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (stored > 0)
            {
                firstStored ??= elapsed;
            }

            if (stack.EventGrid.Events.FirstOrDefault(e => e.Subject == subject) is { } completion)
            {
                if (completion.Type != "Seedream.ImageSeries.Completed" || stored != options.Images)
                {
                    throw new InvalidOperationException($"Job {id} ended with {completion.Type} and {stored} of {options.Images} images stored.");
                }

                return new FirstImageRun(firstStored ?? elapsed, elapsed, stored);
            }

            await Task.Delay(s_pollInterval, timeout.Token).ConfigureAwait(false);
        }
    }
}
