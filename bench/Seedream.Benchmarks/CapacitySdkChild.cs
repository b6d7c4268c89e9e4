using System.Diagnostics;
using System.Text.Json;

namespace Seedream.Benchmarks;

/// <summary>
/// The SDK side of <see cref="CapacityBenchmark"/>, run in a fresh process: N jobs at once, each the OpenAI .NET SDK's
/// image call on the emulator's <c>/v1</c> and <c>BlobClient.UploadAsync(BinaryData)</c> for every image (the
/// store-memory benchmark's SDK path), stopped as soon as this process's RSS passes the limit.
/// </summary>
internal static class CapacitySdkChild
{
    public const string Command = "measure-capacity-sdk";
    public const string ResultPrefix = "RESULT ";

    internal sealed record Result(
        int Images, long Bytes, double Seconds, IReadOnlyList<double> JobSeconds, long BaselineBytes, long PeakBytes,
        long PeakGcHeapBytes, long AfterBytes, double CpuSeconds, bool Stopped);

    public static async Task<int> RunAsync(BenchmarkArguments arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var gateway = new Uri(arguments.RequiredText("emulator"));
        var storage = arguments.RequiredText("storage");
        var model = arguments.RequiredText("model");
        var jobs = arguments.Integer("jobs", 1);
        var limit = arguments.Integer("limit-mb", 4096) * 1024L * 1024;
        var settle = TimeSpan.FromSeconds(arguments.Number("settle-seconds", 60));
        var json = StoreRequests.Json(model, arguments.RequiredText("size"), arguments.Integer("images", 15), "png");
        var store = StoreMemoryChild.CreateSdkPath(gateway, model);

        await using (var warmUpSink = ImageSink.Create("blob", storage, "warm-up"))
        {
            await store(StoreRequests.WarmUpJson(), warmUpSink, cancellationToken).ConfigureAwait(false);
        }

        var peakReset = ProcessMemory.SettleAndResetPeak();
        var baseline = ProcessMemory.WorkingSet;
        var cpuBefore = ProcessCpu.TreeSeconds(Environment.ProcessId);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long peakHeap = 0;
        long sampledPeak = 0;
        var stopped = false;
        var monitor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var rss = ProcessMemory.WorkingSet;
                sampledPeak = Math.Max(sampledPeak, rss);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                if (rss > limit)
                {
                    stopped = true;
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }

                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        var stopwatch = Stopwatch.StartNew();
        var sinks = Enumerable.Range(0, jobs).Select(i => ImageSink.Create("blob", storage, $"sdk-{i}-{Guid.NewGuid():N}")).ToArray();
        var runs = await Task.WhenAll(sinks.Select(async sink =>
        {
            try
            {
                var outcome = await store(json, sink, stop.Token).ConfigureAwait(false);
                return (Outcome: (StoreMemoryChild.StoreOutcome?)outcome, Seconds: stopwatch.Elapsed.TotalSeconds);
            }
            catch (Exception) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return (Outcome: null, Seconds: stopwatch.Elapsed.TotalSeconds);
            }
        })).ConfigureAwait(false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpu = ProcessCpu.TreeSeconds(Environment.ProcessId) - cpuBefore;
        await stop.CancelAsync().ConfigureAwait(false);
        await monitor.ConfigureAwait(false);
        var peak = Math.Max(sampledPeak, peakReset ? ProcessMemory.PeakWorkingSet : 0);

        // A stopped cell's memory after the load says nothing about steady state; a finished one waits like ours.
        if (!stopped)
        {
            await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
        }

        var after = ProcessMemory.WorkingSet;
        var completed = runs.Where(r => r.Outcome is not null).ToArray();
        var result = new Result(
            completed.Sum(r => r.Outcome!.Images), completed.Sum(r => r.Outcome!.Bytes), seconds, completed.Select(r => r.Seconds).ToArray(),
            baseline, peak, peakHeap, after, cpu, stopped);
        await output.WriteLineAsync(ResultPrefix + JsonSerializer.Serialize(result)).ConfigureAwait(false);
        foreach (var sink in sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }

        return 0;
    }
}
