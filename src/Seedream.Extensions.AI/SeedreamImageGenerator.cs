using System.Globalization;
using Microsoft.Extensions.AI;
using SeedreamRequest = Seedream.ImageGenerationRequest;
using SeedreamResponse = Seedream.ImageGenerationResponse;

namespace Seedream.Extensions.AI;

/// <summary>
/// <see cref="IImageGenerator"/> over <see cref="SeedreamClient"/>: one non-streaming generation per call, every image
/// of the answer read into memory (<see cref="DataContent"/>) or returned as its URL (<see cref="UriContent"/>).
/// </summary>
internal sealed class SeedreamImageGenerator : IImageGenerator
{
    /// <summary>Reference images plus generated images may not exceed this (contract: 15).</summary>
    internal const int MaxImagesPerRequest = 15;

    /// <summary>The <see cref="ImageGenerationOptions.AdditionalProperties"/> key for a size keyword such as <c>2K</c>.</summary>
    internal const string SizeKey = "size";

    private readonly SeedreamClient _client;
    private readonly string? _defaultModelId;
    private readonly ImageGeneratorMetadata _metadata;

    public SeedreamImageGenerator(SeedreamClient client, string? defaultModelId)
    {
        _client = client;
        _defaultModelId = defaultModelId;
        _metadata = new ImageGeneratorMetadata("seedream", providerUri: null, defaultModelId);
    }

    public async Task<Microsoft.Extensions.AI.ImageGenerationResponse> GenerateAsync(
        Microsoft.Extensions.AI.ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var seedreamRequest = ToSeedreamRequest(this, request, options, _defaultModelId);
        var asData = seedreamRequest.ResponseFormat != SeedreamResponseFormat.Url;

        var contents = new List<AIContent>();
        var response = await _client.GenerateImagesAsync(seedreamRequest, cancellationToken).ConfigureAwait(false);
        await using (response.ConfigureAwait(false))
        {
            await foreach (var image in response.ReadImagesAsync(cancellationToken).ConfigureAwait(false))
            {
                contents.Add(await ToContentAsync(image, asData, cancellationToken).ConfigureAwait(false));
            }

            return new Microsoft.Extensions.AI.ImageGenerationResponse(contents)
            {
                RawRepresentation = response,
                Usage = ToUsage(response.Usage),
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ImageGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(_client) ? _client
            : null;
    }

    /// <summary>The client is not owned by the generator; nothing to release.</summary>
    public void Dispose()
    {
    }

    /// <summary>The mapping of the README's table; refuses what Seedream cannot do before any call.</summary>
    internal static SeedreamRequest ToSeedreamRequest(IImageGenerator generator, Microsoft.Extensions.AI.ImageGenerationRequest request, ImageGenerationOptions? options, string? defaultModelId)
    {
        var seedream = options?.RawRepresentationFactory?.Invoke(generator) as SeedreamRequest ?? new SeedreamRequest();
        var model = options?.ModelId ?? (string.IsNullOrEmpty(seedream.Model) ? defaultModelId : seedream.Model);
        if (string.IsNullOrEmpty(model))
        {
            throw new ArgumentException("No model: set ImageGenerationOptions.ModelId or pass a default model to AsImageGenerator.", nameof(options));
        }

        seedream.Model = model;
        seedream.Prompt ??= request.Prompt;
        var capabilities = SeedreamModelCapabilities.Find(model);

        var references = ToReferences(request.OriginalImages);
        if (references.Count > 0)
        {
            seedream.Image ??= references.Count == 1 ? new ImageReferences(references[0]) : new ImageReferences(references);
        }

        if (options?.ImageSize is { } imageSize)
        {
            seedream.Size ??= SeedreamImageSize.FromPixels(imageSize.Width, imageSize.Height);
        }
        else if (options?.AdditionalProperties?.TryGetValue(SizeKey, out var sizeValue) == true && sizeValue is not null)
        {
            seedream.Size ??= new SeedreamImageSize(Convert.ToString(sizeValue, CultureInfo.InvariantCulture)!);
        }

        if (options?.Count is { } count)
        {
            if (count < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), count, "ImageGenerationOptions.Count must be at least 1.");
            }

            if (count > 1 && seedream.SequentialImageGeneration is null)
            {
                // A ceiling: the model decides how many of the group it returns.
                var referenceCount = seedream.Image?.Count ?? 0;
                seedream.SequentialImageGeneration = SequentialImageGenerationMode.Auto;
                seedream.SequentialImageGenerationOptions ??= new SequentialImageGenerationOptions();
                seedream.SequentialImageGenerationOptions.MaxImages ??= Math.Max(1, Math.Min(count, MaxImagesPerRequest - referenceCount));
            }
        }

        if (options?.MediaType is { } mediaType && seedream.OutputFormat is null)
        {
            seedream.OutputFormat = ToOutputFormat(mediaType, model, capabilities);
        }

        if (seedream.ResponseFormat is null)
        {
            seedream.ResponseFormat = options?.ResponseFormat switch
            {
                null or ImageGenerationResponseFormat.Data => SeedreamResponseFormat.Base64Json,
                ImageGenerationResponseFormat.Uri => SeedreamResponseFormat.Url,
                var other => throw new NotSupportedException($"ImageGenerationOptions.ResponseFormat {other} is not supported by Seedream: use Data (b64_json) or Uri (url, valid 24 hours)."),
            };
        }

        // Whole images are read into memory either way; streaming would add nothing here.
        seedream.EnableStreaming = null;
        return seedream;
    }

    private static List<string> ToReferences(IEnumerable<AIContent>? originalImages)
    {
        var references = new List<string>();
        var index = 0;
        foreach (var content in originalImages ?? [])
        {
            references.Add(content switch
            {
                DataContent data when data.HasTopLevelMediaType("image") =>
                    $"data:{data.MediaType.ToLowerInvariant()};base64,{Convert.ToBase64String(data.Data.Span)}",
                UriContent { Uri.Scheme: "https" } uri => uri.Uri.AbsoluteUri,
                UriContent uri => throw new ArgumentException($"OriginalImages[{index}]: Seedream reads reference URLs over https only, got '{uri.Uri.Scheme}'.", "request"),
                _ => throw new ArgumentException($"OriginalImages[{index}]: Seedream takes images as DataContent (image/*) or https UriContent, got {content.GetType().Name}.", "request"),
            });
            index++;
        }

        return references;
    }

    private static SeedreamOutputFormat? ToOutputFormat(string mediaType, string model, ModelCapabilities? capabilities)
    {
        SeedreamOutputFormat format = mediaType.ToLowerInvariant() switch
        {
            "image/png" => SeedreamOutputFormat.Png,
            "image/jpeg" or "image/jpg" => SeedreamOutputFormat.Jpeg,
            _ => throw new NotSupportedException($"ImageGenerationOptions.MediaType '{mediaType}' is not supported by Seedream: use image/png or image/jpeg."),
        };

        if (capabilities is null)
        {
            return format; // A gateway alias or an endpoint id: the provider decides.
        }

        if (capabilities.OutputFormats.Count == 0)
        {
            // JPEG-only models: JPEG is what they produce anyway; PNG cannot be had.
            return format == SeedreamOutputFormat.Jpeg
                ? null
                : throw new NotSupportedException($"ImageGenerationOptions.MediaType '{mediaType}': {model} produces JPEG only (PNG needs Seedream 5.0 lite or pro).");
        }

        return format;
    }

    private static async Task<AIContent> ToContentAsync(GeneratedImage image, bool asData, CancellationToken cancellationToken)
    {
        if (image.Error is { } error)
        {
            return new ErrorContent(error.Message) { ErrorCode = error.Code, Details = $"image {image.Index}", RawRepresentation = image };
        }

        if (!asData && image.Url is { } url)
        {
            return new UriContent(url, image.ContentType) { RawRepresentation = image };
        }

        var stream = await image.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return new DataContent(buffer.ToArray(), image.ContentType) { RawRepresentation = image };
        }
    }

    private static UsageDetails? ToUsage(ImageGenerationUsage? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var details = new UsageDetails
        {
            OutputTokenCount = usage.OutputTokens,
            TotalTokenCount = usage.TotalTokens,
            AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["generated_images"] = usage.GeneratedImages },
        };
        if (usage.InputImages is { } inputImages)
        {
            details.AdditionalCounts["input_images"] = inputImages;
        }

        if (usage.ToolUsage is { } tools)
        {
            details.AdditionalCounts["web_search"] = tools.WebSearch;
        }

        return details;
    }
}
