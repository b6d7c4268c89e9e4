using System.Diagnostics;
using System.Text;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Seedream.Functions;
using Seedream.Functions.Configuration;
using Seedream.Functions.Storage;
using Seedream.Testing;

namespace Seedream.Benchmarks;

internal sealed record StoreThroughputOptions(int Images, string Size, int Runs, string Model, string? Format, IReadOnlyList<string>? Modes = null)
{
    /// <summary>The modes measured (url, b64_json); fewer passes per run put each pair closer together in time.</summary>
    public IReadOnlyList<string> Modes { get; init; } = Modes ?? ["url", "b64_json"];
}

/// <summary>One way of moving the images into Azurite, and its throughput in every run.</summary>
/// <param name="CpuSecondsPerGigabyte">CPU seconds per GiB stored in every run, by this process, Azurite and the emulator.</param>
internal sealed record ThroughputPass(string Mode, string Name, string Baseline, IReadOnlyList<double> MegabytesPerSecond, long Bytes,
    IReadOnlyList<CpuShare>? CpuSecondsPerGigabyte = null)
{
    public double Median => Statistics.Median(MegabytesPerSecond);
}

/// <summary>CPU seconds per GiB stored, by process, in one run of a pass.</summary>
internal sealed record CpuShare(double Measured, double Azurite, double Emulator);

/// <summary>
/// Issue 6.2: MB/s of storing results into Azurite through the pipeline's store step (<see cref="ImageStore"/>) against a
/// bare copy of the same bytes, for url results (download + upload) and b64_json results (decode + upload); plus the
/// bare copy under other transfer options, to tune the store step from data.
/// </summary>
internal static class StoreThroughputBenchmark
{
    public const string Command = "store-throughput";

    private const string BareB64 = "bare UploadAsync(BinaryData) of the decoded bytes";
    private const string ImageStoreLabel = "16 MiB blocks, concurrency 1 (ImageStore before the change)";

    // Transfer options to tune the store step from: block size, concurrency, the single-upload threshold, and a
    // transactional MD5 per request (Azurite hashes every Put Block that carries no Content-MD5 with a CRC64 written in
    // JavaScript, but a Put Blob with native MD5; docs/benchmarks.md 6.2).
    private static readonly (string Name, StorageTransferOptions Options, bool Md5)[] s_transferVariants =
    [
        ("SDK defaults", default, false),
        (ImageStoreLabel, Transfer(16, 16, 1), false),
        ("8 MiB blocks, concurrency 4", Transfer(8, 8, 4), false),
        // Would be one Put Blob per image if the SDK buffered a stream of unknown length up to the threshold; it stages
        // blocks instead (Azurite's CRC64 cost in the CPU column shows which one happened).
        ("single upload up to 256 MiB, then 8 MiB blocks", Transfer(256, 8, 1), false),
        ("16 MiB blocks, concurrency 1, MD5", Transfer(16, 16, 1), true),
        ("8 MiB blocks, concurrency 2, MD5", Transfer(8, 8, 2), true),
        ("16 MiB blocks, concurrency 2, MD5", Transfer(16, 16, 2), true),
    ];

    // The store step's own uploader under other settings than its defaults (Pipeline:UploadBlockBytes, UploadConcurrency).
    private static readonly (int BlockMiB, int Concurrency)[] s_storeVariants = [(4, 2), (16, 2), (8, 3)];

    public static async Task<IReadOnlyList<ThroughputPass>> RunAsync(StoreThroughputOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        await using var emulator = await EmulatorProcess.StartAsync(settings: null, cancellationToken).ConfigureAwait(false);
        var clientOptions = new SeedreamClientOptions { ApiKey = EmulatorProcess.ApiKey };
        clientOptions.BaseUrls.Add(emulator.GatewayBaseUrl);
        clientOptions.Downloads.AllowHttp = true;
        clientOptions.Downloads.AllowPrivateNetworks = true;
        var client = new SeedreamClient(clientOptions);
        // A fresh Azurite per run (assigned below; the passes read the current one).
        StoreTargets targets = null!;
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
                    bytes += (await targets.Store(null).UploadAsync(prefix, i, download, "image/png", options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes;
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
                (await targets.Store(null).UploadAsync(prefix, index, content, contentType, options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes, ct)),
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
                    await targets.Bare.GetBlobClient($"{prefix}/{i}.png").UploadAsync(decoded[i], overwrite: true, ct).ConfigureAwait(false);
                    bytes += decoded[i].ToMemory().Length;
                }

                return bytes;
            }),
        };
        // Controls for reading the b64_json figures: the store step's uploader on bytes already in memory (blocks against
        // one Put Blob, without decoding), and buffering each decoded image whole before one Put Blob (what giving up the
        // memory bound would buy: it holds an image, up to ~50 MB for a 4K PNG, per upload).
        var storeDefaults = new PipelineOptions();
        var controlPool = StreamingBlobUploader.CreateBufferPool(storeDefaults.UploadBlockBytes, storeDefaults.UploadConcurrency + 1);
        passes.Add(("b64_json", $"control: decoded bytes from memory → the store step's uploader ({storeDefaults.UploadBlockBytes / (1024 * 1024)} MiB blocks, concurrency {storeDefaults.UploadConcurrency}, MD5)", BareB64, async (prefix, ct) =>
        {
            long bytes = 0;
            for (var i = 0; i < decoded.Count; i++)
            {
                bytes += await StreamingBlobUploader.UploadAsync(targets.Bare.GetBlockBlobClient($"{prefix}/{i}.png"), decoded[i].ToStream(),
                    controlPool, storeDefaults.UploadBlockBytes, storeDefaults.UploadConcurrency, new BlobHttpHeaders { ContentType = "image/png" }, new Dictionary<string, string>(), ct).ConfigureAwait(false);
            }

            return bytes;
        }));
        foreach (var (blockMiB, concurrency) in s_storeVariants)
        {
            var variant = new PipelineOptions { UploadBlockBytes = blockMiB * 1024 * 1024, UploadConcurrency = concurrency };
            passes.Add(("url", $"ours with {blockMiB} MiB blocks, concurrency {concurrency}", "bare HttpClient → UploadAsync(stream), SDK defaults", async (prefix, ct) =>
            {
                long bytes = 0;
                for (var i = 0; i < urls.Count; i++)
                {
                    await using var download = await client.OpenImageDownloadAsync(urls[i], ct).ConfigureAwait(false);
                    bytes += (await targets.Store(variant).UploadAsync(prefix, i, download, "image/png", options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes;
                }

                return bytes;
            }));
            passes.Add(("b64_json", $"ours with {blockMiB} MiB blocks, concurrency {concurrency}", BareB64, (prefix, ct) => GenerateAndStoreAsync(client, b64Json, async (index, content, contentType) =>
                (await targets.Store(variant).UploadAsync(prefix, index, content, contentType, options.Model, null, null, new Dictionary<string, string>(), ct).ConfigureAwait(false)).Bytes, ct)));
        }

        passes.Add(("b64_json", "reference: generate, decode each image into memory → UploadAsync(BinaryData)", BareB64, (prefix, ct) => GenerateAndStoreAsync(client, b64Json, async (index, content, _) =>
        {
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, ct).ConfigureAwait(false);
            await targets.Bare.GetBlobClient($"{prefix}/{index}.png").UploadAsync(new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)), overwrite: true, ct).ConfigureAwait(false);
            return buffer.Length;
        }, ct)));

        foreach (var (name, transfer, md5) in s_transferVariants.Where(variant => variant.Name != "SDK defaults"))
        {
            passes.Add(("b64_json", $"generate, decode → UploadAsync(stream), {name}", BareB64, (prefix, ct) => GenerateAndStoreAsync(client, b64Json, async (index, content, _) =>
            {
                await using var counted = new CountingStream(content);
                await targets.Bare.GetBlockBlobClient($"{prefix}/{index}.png").UploadAsync(counted, new BlobUploadOptions { TransferOptions = transfer, TransferValidation = Validation(md5) }, ct).ConfigureAwait(false);
                return counted.BytesRead;
            }, ct)));
        }

        foreach (var (name, transfer, md5) in s_transferVariants)
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
                    await targets.Bare.GetBlockBlobClient($"{prefix}/{i}.png").UploadAsync(counted, new BlobUploadOptions
                    {
                        HttpHeaders = new BlobHttpHeaders { ContentType = "image/png" },
                        TransferOptions = transfer,
                        TransferValidation = Validation(md5),
                    }, ct).ConfigureAwait(false);
                    bytes += counted.BytesRead;
                }

                return bytes;
            }));
        }

        // url passes first (ours, then the bare variants), then b64_json; OrderBy is stable.
        passes = passes.Where(pass => options.Modes.Contains(pass.Mode)).OrderBy(pass => pass.Mode == "url" ? 0 : 1).ToList();
        var results = passes.Select(_ => new List<double>()).ToArray();
        var cpu = passes.Select(_ => new List<CpuShare>()).ToArray();
        var totals = new long[passes.Count];
        for (var run = 0; run < options.Runs; run++)
        {
            // Rotate the order so no pass always runs first or last.
            for (var step = 0; step < passes.Count; step++)
            {
                var index = (step + run) % passes.Count;
                var prefix = $"run{run}-pass{index}";
                // A fresh, warmed-up Azurite for every pass: it keeps deleted blobs' bytes in memory until its own
                // collection runs, and slows down by up to half as they pile up (and fails past half the RAM), so passes
                // late in a run would otherwise be measured against a slower Azurite than early ones.
                await using var passTargets = await StoreTargets.StartAsync(cancellationToken).ConfigureAwait(false);
                targets = passTargets;
                await targets.WarmUpAsync(decoded[0], cancellationToken).ConfigureAwait(false);
                var before = CpuSnapshot(targets.Azurite.ProcessId, emulator.ProcessId);
                var stopwatch = Stopwatch.StartNew();
                totals[index] = await passes[index].Run(prefix, cancellationToken).ConfigureAwait(false);
                stopwatch.Stop();
                var after = CpuSnapshot(targets.Azurite.ProcessId, emulator.ProcessId);
                var gigabytes = totals[index] / (1024.0 * 1024 * 1024);
                results[index].Add(Statistics.Megabytes(totals[index]) / stopwatch.Elapsed.TotalSeconds);
                cpu[index].Add(new CpuShare((after.Measured - before.Measured) / gigabytes, (after.Azurite - before.Azurite) / gigabytes, (after.Emulator - before.Emulator) / gigabytes));
                await log.WriteLineAsync($"run {run + 1} {passes[index].Mode} {passes[index].Name}: {results[index][^1]:0.0} MB/s").ConfigureAwait(false);
            }
        }

        return passes.Select((pass, i) => new ThroughputPass(pass.Mode, pass.Name, pass.Baseline, results[i], totals[i], cpu[i])).ToArray();
    }

    private static CpuShare CpuSnapshot(int azuriteId, int emulatorId) =>
        new(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, ProcessCpu.TreeSeconds(azuriteId), ProcessCpu.TreeSeconds(emulatorId));

    public static string Markdown(StoreThroughputOptions options, IReadOnlyList<ThroughputPass> passes, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        text.AppendLine($"{options.Images} × {options.Size} noise images (model `{options.Model}`, output format {options.Format ?? "model default"}, {passes[0].Bytes / Math.Max(1, options.Images):N0} bytes each) per pass, stored into Azurite.");
        text.AppendLine();
        text.AppendLine($"- Machine: {MarkdownReport.Machine()}");
        text.AppendLine($"- Command: `{MarkdownReport.Command(command)}`");
        text.AppendLine($"- Runs: {options.Runs}; every pass runs once per run, in rotating order; MB/s = image bytes ÷ wall time of the pass (MB = 2^20 bytes); figures are medians, ratios are medians of per-run pairs.");
        text.AppendLine("- Emulator in a separate process (noise content, images cached before measuring); a fresh Azurite (in memory) for every pass, warmed up with one Put Blob and one streamed upload of an image; both share the machine's cores with the measured process.");
        text.AppendLine("- CPU s/GiB: user + system CPU time over the pass (from /proc, the process and its children) per GiB of images stored; Azurite is one Node.js process, so about 1 s of CPU per wall second is its ceiling.");
        text.AppendLine();
        text.Append(MarkdownReport.Table(
            ["mode", "pass", "MB/s (median)", "÷ baseline (median of runs)", "CPU s/GiB: this process / Azurite / emulator", "baseline"],
            passes.Select(pass =>
            {
                var baseline = passes.FirstOrDefault(other => other.Name == pass.Baseline);
                var ratio = baseline is null ? "" : MarkdownReport.Format(Statistics.Median(pass.MegabytesPerSecond.Zip(baseline.MegabytesPerSecond, (a, b) => a / b)) * 100, "0") + " %";
                var cpu = pass.CpuSecondsPerGigabyte is { Count: > 0 } shares
                    ? $"{MarkdownReport.Format(Statistics.Median(shares.Select(share => share.Measured)))} / {MarkdownReport.Format(Statistics.Median(shares.Select(share => share.Azurite)))} / {MarkdownReport.Format(Statistics.Median(shares.Select(share => share.Emulator)))}"
                    : "";
                return (IReadOnlyList<string>)[pass.Mode, pass.Name, MarkdownReport.Format(pass.Median), ratio, cpu, pass.Baseline];
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

    private static UploadTransferValidationOptions Validation(bool md5) =>
        new() { ChecksumAlgorithm = md5 ? StorageChecksumAlgorithm.MD5 : StorageChecksumAlgorithm.None };

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

/// <summary>One Azurite with the containers the passes write to, and the store step on it under each setting measured.</summary>
internal sealed class StoreTargets : IAsyncDisposable
{
    private readonly Dictionary<(int, int), ImageStore> _stores = [];

    private StoreTargets(AzuriteInstance azurite, PipelineStorage storage, BlobContainerClient bare)
    {
        Azurite = azurite;
        Storage = storage;
        Bare = bare;
    }

    public AzuriteInstance Azurite { get; }

    public PipelineStorage Storage { get; }

    /// <summary>Where the bare and comparison passes write.</summary>
    public BlobContainerClient Bare { get; }

    public static async Task<StoreTargets> StartAsync(CancellationToken cancellationToken)
    {
        var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var storage = new PipelineStorage(azurite.CreateBlobServiceClient(), azurite.CreateQueueServiceClient(),
                Options.Create(new PipelineStorageOptions { ImagesContainer = "bench-store" }));
            var bare = azurite.CreateBlobServiceClient().GetBlobContainerClient("bench-bare");
            await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
            await bare.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new StoreTargets(azurite, storage, bare);
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The pipeline's store step with <paramref name="options"/>, or its defaults.</summary>
    public ImageStore Store(PipelineOptions? options)
    {
        options ??= new PipelineOptions();
        var key = (options.UploadBlockBytes, options.UploadConcurrency);
        if (!_stores.TryGetValue(key, out var store))
        {
            store = new ImageStore(Storage, Options.Create(options), TimeProvider.System);
            _stores[key] = store;
        }

        return store;
    }

    /// <summary>One Put Blob and one streamed upload of <paramref name="image"/> before measuring, so no pass pays for a cold Azurite.</summary>
    public async Task WarmUpAsync(BinaryData image, CancellationToken cancellationToken)
    {
        await Bare.GetBlobClient("warm-up/put.png").UploadAsync(image, overwrite: true, cancellationToken).ConfigureAwait(false);
        await Store(null).UploadAsync("warm-up", 0, image.ToStream(), "image/png", model: null, width: null, height: null, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => Azurite.DisposeAsync();
}
