using System.Diagnostics;
using Seedream;

namespace Seedream.Samples;

/// <summary>The sample's two steps, callable from a test.</summary>
public static class SeedreamSample
{
    /// <summary>Runs both steps; returns the process exit code.</summary>
    /// <param name="baseUrl">The API base, <c>…/v1</c> (gateway) or <c>…/api/v3</c> (Ark).</param>
    /// <param name="apiKey">The API key.</param>
    /// <param name="outputDirectory">Where images are written.</param>
    /// <param name="output">Progress lines.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>0 on success, 1 when a call failed.</returns>
    public static async Task<int> RunAsync(Uri baseUrl, string apiKey, string outputDirectory, TextWriter output, CancellationToken cancellationToken = default)
    {
        var options = new SeedreamClientOptions { ApiKey = apiKey };
        options.BaseUrls.Add(baseUrl);
        if (baseUrl.IsLoopback)
        {
            // A local emulator serves its result URLs over http on loopback; the real service never does.
            options.Downloads.AllowHttp = true;
            options.Downloads.AllowPrivateNetworks = true;
        }

        using var client = new SeedreamClient(options);
        Directory.CreateDirectory(outputDirectory);
        try
        {
            await TextToImageAsync(client, outputDirectory, output, cancellationToken);
            await StreamedGroupAsync(client, outputDirectory, output, cancellationToken);
            return 0;
        }
        catch (SeedreamException ex)
        {
            output.WriteLine($"failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>One image, returned as a URL and downloaded to a file through the client's guarded download.</summary>
    private static async Task TextToImageAsync(SeedreamClient client, string outputDirectory, TextWriter output, CancellationToken cancellationToken)
    {
        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream50Lite,
            Prompt = "A glass lighthouse on a basalt cliff at dawn, soft fog, cinematic light",
            Size = SeedreamImageSize.TwoK,
            OutputFormat = SeedreamOutputFormat.Png,
            ResponseFormat = SeedreamResponseFormat.Url,
            Watermark = false,
        };

        await using var response = await client.GenerateImagesAsync(request, cancellationToken);
        await foreach (var image in response.ReadImagesAsync(cancellationToken))
        {
            var path = await SaveAsync(image, outputDirectory, "text-to-image", cancellationToken);
            output.WriteLine($"text-to-image: image {image.Index} {image.Size} -> {path}");
        }

        output.WriteLine($"text-to-image: {response.Usage?.GeneratedImages} image(s) billed");
    }

    /// <summary>A group of up to four images with <c>stream: true</c>: each is written as soon as its event arrives.</summary>
    private static async Task StreamedGroupAsync(SeedreamClient client, string outputDirectory, TextWriter output, CancellationToken cancellationToken)
    {
        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream45,
            Prompt = "Four illustrations of the same lighthouse through spring, summer, autumn and winter, one consistent style",
            Size = SeedreamImageSize.TwoK,
            SequentialImageGeneration = SequentialImageGenerationMode.Auto,
            SequentialImageGenerationOptions = new SequentialImageGenerationOptions { MaxImages = 4 },
            ResponseFormat = SeedreamResponseFormat.Base64Json,
            EnableStreaming = true,
        };

        var clock = Stopwatch.StartNew();
        await using var response = await client.GenerateImagesAsync(request, cancellationToken);
        output.WriteLine($"group: headers after {clock.Elapsed.TotalSeconds:0.0} s (streaming: {response.IsStreaming})");
        await foreach (var image in response.ReadImagesAsync(cancellationToken))
        {
            if (!image.Succeeded)
            {
                output.WriteLine($"group: image {image.Index} failed: {image.Error!.Code}");
                continue;
            }

            // b64_json content is decoded as it is read: save it before asking for the next image.
            var path = await SaveAsync(image, outputDirectory, "group", cancellationToken);
            output.WriteLine($"group: image {image.Index} {image.Size} at {clock.Elapsed.TotalSeconds:0.0} s -> {path}");
        }

        output.WriteLine($"group: {response.Usage?.GeneratedImages} image(s) billed, {response.Usage?.OutputTokens} output tokens");
    }

    private static async Task<string> SaveAsync(GeneratedImage image, string outputDirectory, string prefix, CancellationToken cancellationToken)
    {
        await using var content = await image.OpenReadAsync(cancellationToken);
        var extension = image.OutputFormat == SeedreamOutputFormat.Png ? "png" : "jpeg";
        var path = Path.Combine(outputDirectory, $"{prefix}-{image.Index}.{extension}");
        await using var file = File.Create(path);
        await content.CopyToAsync(file, cancellationToken);
        return path;
    }
}
