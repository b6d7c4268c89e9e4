using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions;
using Seedream.Functions.Batches;
using Seedream.Functions.Storage;
using Seedream.Testing;

namespace Seedream.Benchmarks;

internal sealed record BatchFanOutOptions(int Lines, int LineBytes, int InvalidEvery);

internal sealed record BatchFanOutResult(
    long InputBytes, int Lines, int Jobs, int LineErrors, double StageSeconds, long StagePeakRise, double FanOutSeconds, long FanOutPeakRise, double WholeReadSeconds, long WholeReadPeakRise);

/// <summary>
/// A large batch input through the app's own path: <c>POST /api/batches</c> (<see cref="SubmitBatch"/>) stages the body
/// from a file stream into Azurite, then <see cref="BatchFanOutService"/> reads it line by line, puts each line through
/// the intake and creates its job and queue message (the Seedream calls are not part of it). Peak resident memory rise of
/// this process (/proc/self/status VmHWM, reset before each step) and lines per second, against the alternative of
/// reading the staged input whole and splitting it into lines.
/// </summary>
internal static class BatchFanOutBenchmark
{
    public const string Command = "batch-fanout";

    public static async Task<BatchFanOutResult> RunAsync(BatchFanOutOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var input = Path.Combine(Path.GetTempPath(), $"batch-bench-{Guid.NewGuid():N}.jsonl");
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Seedream:BaseUrls:0"] = "http://127.0.0.1:9/v1",
            ["Seedream:ApiKey"] = "unused",
            ["EventGrid:TopicEndpoint"] = "http://127.0.0.1:9/api/events",
            ["EventGrid:TopicKey"] = "unused",
            ["Models:CheckModels"] = "false",
            ["Intake:ProbeReferenceUrls"] = "false",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSeedreamPipeline(configuration).BuildServiceProvider();
        try
        {
            var (bytes, invalid) = await WriteInputAsync(input, options, cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"batch-fanout: {options.Lines} lines, {bytes / 1e6:0.0} MB written to {input}").ConfigureAwait(false);
            await services.GetRequiredService<BatchStore>().EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
            await services.GetRequiredService<PipelineStorage>().EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

            // Staging: the HTTP function reading the body from a file stream.
            ProcessMemory.SettleAndResetPeak();
            var baseline = ProcessMemory.WorkingSet;
            var stage = Stopwatch.StartNew();
            string batchId;
            await using (var body = File.OpenRead(input))
            {
                batchId = await SubmitAsync(services, body, cancellationToken).ConfigureAwait(false);
            }

            stage.Stop();
            var stagePeak = ProcessMemory.PeakWorkingSet - baseline;
            await log.WriteLineAsync($"batch-fanout: staged in {stage.Elapsed.TotalSeconds:0.0} s, peak RSS rise {stagePeak / 1e6:0.0} MB").ConfigureAwait(false);

            // Fan-out: every line through the intake into a job and a message.
            ProcessMemory.SettleAndResetPeak();
            baseline = ProcessMemory.WorkingSet;
            var fanOut = Stopwatch.StartNew();
            await services.GetRequiredService<BatchFanOutService>().RunAsync(batchId, cancellationToken).ConfigureAwait(false);
            fanOut.Stop();
            var fanOutPeak = ProcessMemory.PeakWorkingSet - baseline;
            var batch = (await services.GetRequiredService<BatchStore>().GetAsync(batchId, cancellationToken).ConfigureAwait(false))!.Batch;
            if (batch.Tally.Lines != options.Lines || batch.Tally.Invalid != invalid || batch.Tally.Accepted != options.Lines - invalid)
            {
                throw new InvalidOperationException($"The fan-out read {batch.Tally.Lines} lines ({batch.Tally.Invalid} invalid, {batch.Tally.Accepted} jobs); expected {options.Lines} ({invalid} invalid).");
            }

            await log.WriteLineAsync($"batch-fanout: {batch.Tally.Accepted} jobs and {batch.Tally.Invalid} line errors in {fanOut.Elapsed.TotalSeconds:0.0} s, peak RSS rise {fanOutPeak / 1e6:0.0} MB").ConfigureAwait(false);

            // The alternative: the staged input read whole and split into lines.
            ProcessMemory.SettleAndResetPeak();
            baseline = ProcessMemory.WorkingSet;
            var whole = Stopwatch.StartNew();
            var content = (await services.GetRequiredService<BatchStore>().Input(batchId).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            var lines = Encoding.UTF8.GetString(content.ToMemory().Span).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            whole.Stop();
            var wholePeak = ProcessMemory.PeakWorkingSet - baseline;
            GC.KeepAlive(content);
            await log.WriteLineAsync($"batch-fanout: whole read of {lines} lines in {whole.Elapsed.TotalSeconds:0.0} s, peak RSS rise {wholePeak / 1e6:0.0} MB").ConfigureAwait(false);
            return new BatchFanOutResult(bytes, options.Lines, batch.Tally.Accepted, batch.Tally.Invalid, stage.Elapsed.TotalSeconds, stagePeak, fanOut.Elapsed.TotalSeconds, fanOutPeak, whole.Elapsed.TotalSeconds, wholePeak);
        }
        finally
        {
            await services.DisposeAsync().ConfigureAwait(false);
            File.Delete(input);
        }
    }

    public static string Markdown(BatchFanOutOptions options, BatchFanOutResult result, IReadOnlyList<string> args)
    {
        List<IReadOnlyList<string>> rows =
        [
            ["stage (POST /api/batches, body streamed to a blob)", MarkdownReport.Format(result.StageSeconds), MarkdownReport.Format(result.Lines / result.StageSeconds, "0"), MarkdownReport.Format(result.StagePeakRise / 1e6), "—"],
            ["fan-out (each line: intake, job record, queue message)", MarkdownReport.Format(result.FanOutSeconds), MarkdownReport.Format(result.Lines / result.FanOutSeconds, "0"), MarkdownReport.Format(result.FanOutPeakRise / 1e6), MarkdownReport.Format((double)result.WholeReadPeakRise / Math.Max(1, result.FanOutPeakRise), "0.0") + "× less"],
            ["alternative: the input read whole and split (no intake)", MarkdownReport.Format(result.WholeReadSeconds), MarkdownReport.Format(result.Lines / result.WholeReadSeconds, "0"), MarkdownReport.Format(result.WholeReadPeakRise / 1e6), "1×"],
        ];
        return $"""
            ### Batch input of {result.InputBytes / 1e6:0} MB, {result.Lines:N0} lines

            `{MarkdownReport.Command(args)}` on {MarkdownReport.Machine()}. Azurite in memory; lines of about {options.LineBytes} bytes
            (the text-to-image example with catalogue metadata), every {options.InvalidEvery}th refused by the intake: {result.Jobs:N0} jobs
            and {result.LineErrors:N0} line errors, checked against the batch record. Peak resident memory rise of the process over
            each step (VmHWM reset before it). Seedream is not called: the jobs wait on `batch-generation-requests`.

            {MarkdownReport.Table(["step", "seconds", "lines/s", "peak RSS rise (MB)", "memory vs. whole read"], rows)}
            """;
    }

    private static async Task<string> SubmitAsync(IServiceProvider services, Stream body, CancellationToken cancellationToken)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1");
        context.Request.Path = "/api/batches";
        context.Request.Body = body;
        context.Request.ContentLength = body.Length;
        var function = ActivatorUtilities.CreateInstance<SubmitBatch>(services);
        var result = await function.RunAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var response = new MemoryStream();
        context.Response.Body = response;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor())).ConfigureAwait(false);
        if (context.Response.StatusCode != StatusCodes.Status202Accepted)
        {
            throw new InvalidOperationException($"POST /api/batches answered {context.Response.StatusCode}: {Encoding.UTF8.GetString(response.ToArray())}");
        }

        return JsonNode.Parse(response.ToArray())!["id"]!.GetValue<string>();
    }

    private static async Task<(long Bytes, int Invalid)> WriteInputAsync(string path, BatchFanOutOptions options, CancellationToken cancellationToken)
    {
        var example = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"), cancellationToken).ConfigureAwait(false))!.AsObject();
        var invalid = 0;
        await using var file = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        for (var n = 1; n <= options.Lines; n++)
        {
            var body = (JsonObject)example.DeepClone();
            body["prompt"] = $"Product {n}: {body["prompt"]!.GetValue<string>()}";
            var metadata = new JsonObject { ["sku"] = $"SKU-{n:D8}" };
            // Catalogue metadata fills the line to its size (at most 16 entries of 256 characters).
            var filler = Math.Max(0, options.LineBytes - 600);
            for (var entry = 0; filler > 0 && entry < 15; entry++, filler -= 250)
            {
                metadata[$"attribute{entry}"] = new string((char)('a' + (entry % 26)), Math.Min(250, filler));
            }

            body["metadata"] = metadata;
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
