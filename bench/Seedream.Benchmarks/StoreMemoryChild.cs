using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text.Json;
using OpenAI;
using OpenAI.Images;

namespace Seedream.Benchmarks;

/// <summary>One measured case of <see cref="StoreMemoryBenchmark"/>, run in a fresh process: generate, store every image, report memory.</summary>
internal static class StoreMemoryChild
{
    public const string Command = "measure-store";
    public const string ResultPrefix = "RESULT ";

    public static async Task<int> RunAsync(BenchmarkArguments arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var path = arguments.RequiredText("path");
        var sink = arguments.RequiredText("sink");
        var gateway = new Uri(arguments.RequiredText("emulator"));
        var storage = arguments.OptionalText("storage");
        // b64_json by default; url measures the download path (each image fetched from its result URL).
        var responseFormat = arguments.OptionalText("response-format") ?? "b64_json";
        var json = StoreRequests.Json(arguments.RequiredText("model"), arguments.RequiredText("size"), arguments.Integer("images", 1), arguments.OptionalText("format"), responseFormat);
        Func<string, ImageSink, CancellationToken, Task<StoreOutcome>> store = path switch
        {
            "ours" => CreateOurPath(gateway),
            "sdk" => CreateSdkPath(gateway, arguments.RequiredText("model")),
            _ => throw new ArgumentException($"Unknown path '{path}' (ours, sdk)."),
        };

        await using (var warmUpSink = ImageSink.Create(sink, storage, "warm-up"))
        {
            await store(StoreRequests.WarmUpJson(responseFormat), warmUpSink, cancellationToken).ConfigureAwait(false);
        }

        await using var measuredSink = ImageSink.Create(sink, storage, $"{path}-{Guid.NewGuid():N}");
        var peakReset = ProcessMemory.SettleAndResetPeak();
        var baseline = ProcessMemory.WorkingSet;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        var outcome = await store(json, measuredSink, cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var peak = ProcessMemory.PeakWorkingSet;

        var measurement = new StoreMeasurement(path, outcome.Images, outcome.Bytes, baseline, peak - baseline, allocated, stopwatch.Elapsed.TotalSeconds, peakReset);
        await output.WriteLineAsync(ResultPrefix + JsonSerializer.Serialize(measurement)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Our client: the response body is read once, each image decoded from it straight into the sink.</summary>
    private static Func<string, ImageSink, CancellationToken, Task<StoreOutcome>> CreateOurPath(Uri gateway)
    {
        var options = new SeedreamClientOptions { ApiKey = EmulatorProcess.ApiKey };
        options.BaseUrls.Add(gateway);
        // The emulator's result URLs are on loopback over http.
        options.Downloads.AllowPrivateNetworks = true;
        options.Downloads.AllowHttp = true;
        var client = new SeedreamClient(options);
        return async (json, sink, cancellationToken) =>
        {
            await using var response = await client.GenerateImagesAsync(ImageGenerationRequest.FromJson(json), cancellationToken).ConfigureAwait(false);
            var images = 0;
            long bytes = 0;
            await foreach (var image in response.ReadImagesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!image.Succeeded)
                {
                    throw new InvalidOperationException($"Image {image.Index} failed: {image.Error}");
                }

                await using var content = await image.OpenReadAsync(cancellationToken).ConfigureAwait(false);
                bytes += await sink.StoreStreamAsync(image.Index, content, image.ContentType, cancellationToken).ConfigureAwait(false);
                images++;
            }

            return new StoreOutcome(images, bytes);
        };
    }

    /// <summary>
    /// The OpenAI .NET SDK: its typed options cannot express Seedream's size keywords or sequential generation, so the
    /// protocol method sends the same body; the typed result then gives each image's decoded <c>ImageBytes</c>.
    /// </summary>
    internal static Func<string, ImageSink, CancellationToken, Task<StoreOutcome>> CreateSdkPath(Uri gateway, string model)
    {
        var client = new ImageClient(model, new ApiKeyCredential(EmulatorProcess.ApiKey), new OpenAIClientOptions
        {
            Endpoint = gateway,
            NetworkTimeout = TimeSpan.FromMinutes(10),
        });
        return async (json, sink, cancellationToken) =>
        {
            var result = await client.GenerateImagesAsync(BinaryContent.Create(BinaryData.FromString(json)), new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
            var collection = ModelReaderWriter.Read<GeneratedImageCollection>(result.GetRawResponse().Content, ModelReaderWriterOptions.Json)
                ?? throw new InvalidOperationException("The SDK returned no image collection.");
            long bytes = 0;
            for (var index = 0; index < collection.Count; index++)
            {
                var imageBytes = collection[index].ImageBytes ?? throw new InvalidOperationException($"Image {index} has no bytes.");
                await sink.StoreBytesAsync(index, imageBytes, cancellationToken).ConfigureAwait(false);
                bytes += imageBytes.ToMemory().Length;
            }

            return new StoreOutcome(collection.Count, bytes);
        };
    }

    internal sealed record StoreOutcome(int Images, long Bytes);
}

/// <summary>What one child reports: peak is VmHWM after the call minus the resident size just before it.</summary>
internal sealed record StoreMeasurement(string Path, int Images, long ImageBytes, long BaselineBytes, long PeakBytes, long AllocatedBytes, double Seconds, bool PeakReset);
