using System.Diagnostics;
using System.Text;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Seedream.Functions;
using Seedream.Testing;

namespace Seedream.Benchmarks;

internal sealed record StoreThroughputOptions(int Images, string Size, int Runs, string Model, string? Format);

/// <summary>One way of moving the images into Azurite, and its throughput in every run.</summary>
internal sealed record ThroughputPass(string Mode, string Name, string Baseline, IReadOnlyList<double> MegabytesPerSecond, long Bytes)
{
    public double Median => Statistics.Median(MegabytesPerSecond);
}

/// <summary>
/// Issue 6.2: MB/s of storing results into Azurite through the pipeline's store step (<see cref="ImageStore"/>) against a
/// bare copy of the same bytes, for url results (download + upload) and b64_json results (decode + upload); plus the
/// bare copy under other transfer options, to tune the store step from data.
/// </summary>
internal static class StoreThroughputBenchmark
{
    public const string Command = "store-throughput";

    private const string BareB64 = "bare UploadAsync(BinaryData) of the decoded bytes";
    private const string ImageStoreLabel = "4 MiB blocks, concurrency 1 (ImageStore before the change)";

    private static readonly (string Name, StorageTransferOptions Options)[] s_transferVariants =
    [
        ("SDK defaults", default),
        (ImageStoreLabel, Transfer(4, 4, 1)),
        ("8 MiB blocks, concurrency 1", Transfer(8, 8, 1)),
        ("16 MiB blocks, concurrency 1", Transfer(16, 16, 1)),
        ("4 MiB blocks, concurrency 4", Transfer(4, 4, 4)),
        ("8 MiB blocks, concurrency 4", Transfer(8, 8, 4)),
        ("single upload up to 256 MiB, then 8 MiB blocks", Transfer(256, 8, 1)),
    ];

    public static async Task<IReadOnlyList<ThroughputPass>> RunAsync(StoreThroughputOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        await using var emulator = await EmulatorProcess.StartAsync(settings: null, cancellationToken).ConfigureAwait(false);
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        var clientOptions = new SeedreamClientOptions { ApiKey = EmulatorProcess.ApiKey };
        clientOptions.BaseUrls.Add(emulator.GatewayBaseUrl);
        clientOptions.Downloads.AllowHttp = true;
        clientOptions.Downloads.AllowPrivateNetworks = true;
        var client = new SeedreamClient(clientOptions);
        var storage = new PipelineStorage(azurite.CreateBlobServiceClient(), azurite.CreateQueueServiceClient(),
            Options.Create(new PipelineStorageOptions { ImagesContainer = "bench-store" }));
        var store = new ImageStore(storage, Options.Create(new PipelineOptions()), TimeProvider.System);
        var bare = azurite.CreateBlobServiceClient().GetBlobContainerClient("bench-bare");
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await bare.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };

        // One url generation gives the files every url pass copies; reading them once also warms the emulator's cache
        // and gives the decoded bytes the bare b64_json pass uploads.
        var urls = await GenerateUrlsAsync(client, options, cancellationToken).ConfigureAwait(false);
        var decoded = new List<BinaryData>();
        foreach (var url in urls)
        {
            decoded.Add(BinaryData.FromBytes(await http.GetByteArrayAsync(url, cancellationToken).ConfigureAwait(false)));
        }

        var b64Json = StoreRequests.Json(options.Model, options.Size, options.Images, options.Format);
        var passes = new List<(string Mode, string Name, string Baseline, Func<string, CancellationToken, Task<long>> Run)>
        {
            ("url", "ours: client download → ImageStore.UploadAsync", "bare HttpClient → UploadAsync(stream), SDK defaults", async (prefix, ct) =>
            {
                long bytes = 0;
                for (var i = 0; i < urls.Count; i++)
                {
                    await using var download = await client.OpenImageDownloadAsync(urls[i], ct).ConfigureAwait(false);
                    bytes += (await store.UploadAsync(prefix, i, download, "image/png", options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes;
                }

                return bytes;
            }),
            ("url", "diagnostic: client download → Stream.Null (no storage)", "bare HttpClient → UploadAsync(stream), SDK defaults", async (_, ct) =>
            {
                long bytes = 0;
                foreach (var url in urls)
                {
                    await using var download = await client.OpenImageDownloadAsync(url, ct).ConfigureAwait(false);
                    await using var counted = new CountingStream(download);
                    await counted.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
                    bytes += counted.BytesRead;
                }

                return bytes;
            }),
            ("b64_json", "ours: generate, decode → ImageStore.UploadAsync", BareB64, (prefix, ct) => GenerateAndStoreAsync(client, b64Json, async (index, content, contentType) =>
                (await store.UploadAsync(prefix, index, content, contentType, options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes, ct)),
            ("b64_json", "diagnostic: generate, decode → Stream.Null (no storage)", BareB64, (_, ct) => GenerateAndStoreAsync(client, b64Json, async (_, content, _) =>
            {
                await using var counted = new CountingStream(content);
                await counted.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
                return counted.BytesRead;
            }, ct)),
            ("b64_json", BareB64, "", async (prefix, ct) =>
            {
                long bytes = 0;
                for (var i = 0; i < decoded.Count; i++)
                {
                    await bare.GetBlobClient($"{prefix}/{i}.png").UploadAsync(decoded[i], overwrite: true, ct).ConfigureAwait(false);
                    bytes += decoded[i].ToMemory().Length;
                }

                return bytes;
            }),
        };
        foreach (var (name, transfer) in s_transferVariants.Where(variant => variant.Name is "8 MiB blocks, concurrency 4" or "16 MiB blocks, concurrency 1"))
        {
            passes.Add(("b64_json", $"generate, decode → UploadAsync(stream), {name}", BareB64, (prefix, ct) => GenerateAndStoreAsync(client, b64Json, async (index, content, _) =>
            {
                await using var counted = new CountingStream(content);
                await bare.GetBlockBlobClient($"{prefix}/{index}.png").UploadAsync(counted, new BlobUploadOptions { TransferOptions = transfer }, ct).ConfigureAwait(false);
                return counted.BytesRead;
            }, ct)));
        }

        foreach (var (name, transfer) in s_transferVariants)
        {
            var label = name == "SDK defaults" ? "bare HttpClient → UploadAsync(stream), SDK defaults" : $"bare HttpClient → UploadAsync(stream), {name}";
            passes.Add(("url", label, name == "SDK defaults" ? "" : "bare HttpClient → UploadAsync(stream), SDK defaults", async (prefix, ct) =>
            {
                long bytes = 0;
                for (var i = 0; i < urls.Count; i++)
                {
                    using var response = await http.GetAsync(urls[i], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                    await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await using var counted = new CountingStream(body);
                    await bare.GetBlockBlobClient($"{prefix}/{i}.png").UploadAsync(counted, new BlobUploadOptions
                    {
                        HttpHeaders = new BlobHttpHeaders { ContentType = "image/png" },
                        TransferOptions = transfer,
                    }, ct).ConfigureAwait(false);
                    bytes += counted.BytesRead;
                }

                return bytes;
            }));
        }

        // url passes first (ours, then the bare variants), then b64_json; OrderBy is stable.
        passes = passes.OrderBy(pass => pass.Mode == "url" ? 0 : 1).ToList();
        var results = passes.Select(_ => new List<double>()).ToArray();
        var totals = new long[passes.Count];
        for (var run = 0; run < options.Runs; run++)
        {
            // Rotate the order so no pass always runs first (cold) or last.
            for (var step = 0; step < passes.Count; step++)
            {
                var index = (step + run) % passes.Count;
                var prefix = $"run{run}-pass{index}";
                var stopwatch = Stopwatch.StartNew();
                totals[index] = await passes[index].Run(prefix, cancellationToken).ConfigureAwait(false);
                stopwatch.Stop();
                results[index].Add(Statistics.Megabytes(totals[index]) / stopwatch.Elapsed.TotalSeconds);
                await log.WriteLineAsync($"run {run + 1} {passes[index].Mode} {passes[index].Name}: {results[index][^1]:0.0} MB/s").ConfigureAwait(false);
                await DeleteAsync(storage.Images, prefix, cancellationToken).ConfigureAwait(false);
                await DeleteAsync(bare, prefix, cancellationToken).ConfigureAwait(false);
            }
        }

        return passes.Select((pass, i) => new ThroughputPass(pass.Mode, pass.Name, pass.Baseline, results[i], totals[i])).ToArray();
    }

    public static string Markdown(StoreThroughputOptions options, IReadOnlyList<ThroughputPass> passes, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"{options.Images} × {options.Size} noise images (model `{options.Model}`, output format {options.Format ?? "model default"}, {passes[0].Bytes / Math.Max(1, options.Images):N0} bytes each) per pass, stored into Azurite.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Runs: {options.Runs}; every pass runs once per run, in rotating order; MB/s = image bytes ÷ wall time of the pass (MB = 2^20 bytes); figures are medians, ratios are medians of per-run pairs.");
        text.AppendLine("- Emulator in a separate process (noise content, images cached before measuring), Azurite in memory; both share the machine's cores with the measured process.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["mode", "pass", "MB/s (median)", "÷ baseline (median of runs)", "baseline"],
            passes.Select(pass =>
            {
                var baseline = passes.FirstOrDefault(other => other.Name == pass.Baseline);
                var ratio = baseline is null ? "" : MarkdownReport.Format(Statistics.Median(pass.MegabytesPerSecond.Zip(baseline.MegabytesPerSecond, (a, b) => a / b)) * 100, "0") + " %";
                return (IReadOnlyList<string>)[pass.Mode, pass.Name, MarkdownReport.Format(pass.Median), ratio, pass.Baseline];
            })));
        return text.ToString();
    }

    /// <summary>One b64_json generation; each image's decoded stream goes to <paramref name="store"/>, which returns the bytes it stored.</summary>
    private static async Task<long> GenerateAndStoreAsync(SeedreamClient client, string json, Func<int, Stream, string, Task<long>> store, CancellationToken cancellationToken)
    {
        long bytes = 0;
        await using var response = await client.GenerateImagesAsync(ImageGenerationRequest.FromJson(json), cancellationToken).ConfigureAwait(false);
        await foreach (var image in response.ReadImagesAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var content = await image.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            bytes += await store(image.Index, content, image.ContentType).ConfigureAwait(false);
        }

        return bytes;
    }

    private static async Task<IReadOnlyList<Uri>> GenerateUrlsAsync(SeedreamClient client, StoreThroughputOptions options, CancellationToken cancellationToken)
    {
        var request = ImageGenerationRequest.FromJson(StoreRequests.Json(options.Model, options.Size, options.Images, options.Format, responseFormat: "url"));
        var urls = new List<Uri>();
        await using var response = await client.GenerateImagesAsync(request, cancellationToken).ConfigureAwait(false);
        await foreach (var image in response.ReadImagesAsync(cancellationToken).ConfigureAwait(false))
        {
            urls.Add(image.Url ?? throw new InvalidOperationException($"Image {image.Index} has no URL: {image.Error}"));
        }

        return urls;
    }

    private static async Task DeleteAsync(BlobContainerClient container, string prefix, CancellationToken cancellationToken)
    {
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix + "/" }, cancellationToken).ConfigureAwait(false))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private static StorageTransferOptions Transfer(int initialMiB, int maximumMiB, int concurrency) => new()
    {
        InitialTransferSize = initialMiB * 1024L * 1024,
        MaximumTransferSize = maximumMiB * 1024L * 1024,
        MaximumConcurrency = concurrency,
    };
}

/// <summary>A read-only pass-through that counts bytes, so a bare copy knows how much it moved.</summary>
internal sealed class CountingStream(Stream source) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(source.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        BytesRead += read;
        return read;
    }
}
