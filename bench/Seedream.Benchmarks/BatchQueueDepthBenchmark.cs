using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Queues;
using Seedream.Testing;

namespace Seedream.Benchmarks;

internal sealed record BatchQueueDepthOptions(IReadOnlyList<int> Depths, int Samples);

internal sealed record BatchQueueDepthRow(int Depth, double DeepReceiveMs, double EmptyReceiveMs, double BlobReadMs);

/// <summary>
/// What a deep batch queue costs the local storage emulator: a batch's fan-out queues one message per line, and the host
/// polls every queue. Median latency, one request at a time, of a receive on the deep queue, a receive on an empty queue
/// of the same account and a blob read, as the deep queue grows. In Azure Storage none of these depends on the depth.
/// </summary>
internal static class BatchQueueDepthBenchmark
{
    public const string Command = "batch-queue-depth";

    public static async Task<IReadOnlyList<BatchQueueDepthRow>> RunAsync(BatchQueueDepthOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        var queues = azurite.CreateQueueServiceClient();
        var deep = queues.GetQueueClient("batch-generation-requests");
        var empty = queues.GetQueueClient("generation-requests");
        await deep.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await empty.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var container = azurite.CreateBlobServiceClient().GetBlobContainerClient("batches");
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var blob = container.GetBlobClient("batch/batch.json");
        await blob.UploadAsync(BinaryData.FromString("{}"), cancellationToken).ConfigureAwait(false);

        var rows = new List<BatchQueueDepthRow>();
        var queued = 0;
        foreach (var depth in options.Depths.Order())
        {
            await Parallel.ForEachAsync(Enumerable.Range(queued, Math.Max(0, depth - queued)), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                async (n, ct) => await deep.SendMessageAsync($"{{\"id\":\"job-{n}\"}}", ct).ConfigureAwait(false)).ConfigureAwait(false);
            queued = Math.Max(queued, depth);
            // The received message stays in the queue (invisible for the run), as a job's message does while it runs.
            var deepReceive = await MedianAsync(options.Samples, () => deep.ReceiveMessagesAsync(1, TimeSpan.FromHours(1), cancellationToken)).ConfigureAwait(false);
            var emptyReceive = await MedianAsync(options.Samples, () => empty.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), cancellationToken)).ConfigureAwait(false);
            var blobRead = await MedianAsync(options.Samples, () => blob.GetPropertiesAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
            var row = new BatchQueueDepthRow(depth, deepReceive, emptyReceive, blobRead);
            rows.Add(row);
            await log.WriteLineAsync($"{Command}: {depth} queued: receive {deepReceive:0.0} ms, empty-queue receive {emptyReceive:0.0} ms, blob read {blobRead:0.0} ms").ConfigureAwait(false);
        }

        return rows;
    }

    public static string Markdown(BatchQueueDepthOptions options, IReadOnlyList<BatchQueueDepthRow> rows, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rows);
        var first = rows[0];
        return $"""
            ### Azurite under a deep batch queue

            `{MarkdownReport.Command(args)}` on {MarkdownReport.Machine()}. Azurite in memory, one request at a time, median of
            {options.Samples} requests per cell; the deep queue is filled to each depth first.

            {MarkdownReport.Table(["messages queued", "receive on that queue (ms)", "receive on an empty queue (ms)", "blob read (ms)", "empty-queue receive vs. the first row"],
                rows.Select(r => (IReadOnlyList<string>)[r.Depth.ToString("N0", CultureInfo.InvariantCulture), MarkdownReport.Format(r.DeepReceiveMs), MarkdownReport.Format(r.EmptyReceiveMs),
                    MarkdownReport.Format(r.BlobReadMs), MarkdownReport.Format(r.EmptyReceiveMs / first.EmptyReceiveMs, "0") + "×"]))}
            """;
    }

    private static async Task<double> MedianAsync<T>(int samples, Func<Task<T>> operation)
    {
        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation().ConfigureAwait(false);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
