using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Seedream;

namespace SeedreamEmulator;

/// <summary>A validated generation request: what the emulated model will produce.</summary>
internal sealed record GenerationPlan(
    string ModelEcho,
    ModelCapabilities Capabilities,
    int Width,
    int Height,
    int ImageCount,
    bool GroupMode,
    ImageFormat Format,
    bool InlineImages,
    bool Stream,
    bool Watermark,
    bool WebSearch,
    int ReferenceCount,
    ulong ContentSeed)
{
    public ulong SeedFor(int index) => ContentSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
}

/// <summary>Validates a request body in the contract's suggested order (§10.3) and plans the output.</summary>
internal sealed class GenerationRequestValidator(ReferenceImageDecoder referenceDecoder)
{
    private const int MaxGroupImages = 15;

    public sealed record Outcome(GenerationPlan? Plan, ArkError? Error);

    public async Task<Outcome> ValidateAsync(JsonElement body, ModelCapabilities profile, string modelEcho, HttpContext context, string requestId, CancellationToken cancellationToken)
    {
        ArkError? error;
        var layerDecomposition = GetBool(body, "layer_decomposition", requestId, out error);
        if (error is not null)
        {
            return Fail(error);
        }

        // 1. prompt
        string prompt = "";
        if (body.TryGetProperty("prompt", out var promptElement) && promptElement.ValueKind != JsonValueKind.Null)
        {
            if (promptElement.ValueKind != JsonValueKind.String)
            {
                return Fail(ArkErrors.Invalid("prompt", "prompt must be a string.", requestId));
            }

            prompt = promptElement.GetString()!;
        }

        if (string.IsNullOrWhiteSpace(prompt) && layerDecomposition != true)
        {
            return Fail(ArkErrors.Missing("prompt", requestId));
        }

        // 2. types and fields the model does not support
        var stream = GetBool(body, "stream", requestId, out var streamError);
        var watermark = GetBool(body, "watermark", requestId, out var watermarkError);
        var sequentialError = CheckEnum(body, "sequential_image_generation", ["auto", "disabled"], requestId, out var sequential);
        var responseFormatError = CheckEnum(body, "response_format", ["url", "b64_json"], requestId, out var responseFormat);
        var backgroundError = CheckEnum(body, "background", ["transparent", "opaque"], requestId, out var background);
        error = streamError ?? watermarkError ?? sequentialError ?? responseFormatError ?? backgroundError;
        if (error is not null)
        {
            return Fail(error);
        }

        var references = ReadReferences(body, requestId, out error);
        if (error is not null)
        {
            return Fail(error);
        }

        var webSearch = body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0;
        error = (profile, references.Count) switch
        {
            ({ MaxReferenceImages: 0 }, > 0) => ArkErrors.Unsupported("image", requestId),
            _ when sequential == "auto" && !profile.SupportsSequentialGeneration => ArkErrors.Unsupported("sequential_image_generation", requestId),
            _ when stream == true && !profile.SupportsStreaming => ArkErrors.Unsupported("stream", requestId),
            _ when webSearch && !profile.SupportsWebSearch => ArkErrors.Unsupported("tools", requestId),
            _ when layerDecomposition == true && !profile.SupportsLayersAndBackground => ArkErrors.Unsupported("layer_decomposition", requestId),
            _ when background == "transparent" && !profile.SupportsLayersAndBackground => ArkErrors.Unsupported("background", requestId),
            _ when body.TryGetProperty("optimize_prompt_options", out var optimize) && optimize.ValueKind != JsonValueKind.Null && profile.OptimizePromptModes.Count == 0
                => ArkErrors.Unsupported("optimize_prompt_options", requestId),
            _ => null,
        };
        if (error is not null)
        {
            return Fail(error);
        }

        string? outputFormat = body.TryGetProperty("output_format", out var formatElement) && formatElement.ValueKind == JsonValueKind.String ? formatElement.GetString() : null;
        if (background == "transparent")
        {
            error = references.Count != 1
                ? ArkErrors.Invalid("background", "transparent background requires exactly one input image.", requestId)
                : outputFormat is not null and not "png" ? ArkErrors.Invalid("output_format", "output_format must be png when background is transparent.", requestId) : null;
            if (error is not null)
            {
                return Fail(error);
            }
        }

        if (!profile.SupportsTextToImage && references.Count == 0)
        {
            return Fail(ArkErrors.Missing("image", requestId));
        }

        if (layerDecomposition == true && references.Count != 1)
        {
            return Fail(ArkErrors.Invalid("image", "layer decomposition requires exactly one input image.", requestId));
        }

        // 3. size (adaptive needs the reference's dimensions, resolved after the images are checked)
        var sizeText = profile.DefaultSize;
        if (body.TryGetProperty("size", out var sizeElement) && sizeElement.ValueKind != JsonValueKind.Null)
        {
            if (sizeElement.ValueKind != JsonValueKind.String)
            {
                return Fail(ArkErrors.Invalid("size", "size must be a string.", requestId));
            }

            sizeText = sizeElement.GetString()!;
        }

        var keyword = profile.SizeKeywords.FirstOrDefault(candidate => string.Equals(candidate, sizeText, StringComparison.OrdinalIgnoreCase));
        (int Width, int Height) dimensions = default;
        if (keyword is null)
        {
            if (!profile.SupportsExplicitSize || !SizeResolver.TryParseDimensions(sizeText, out var width, out var height))
            {
                return Fail(ArkErrors.Invalid("size", SizeKeywordMessage(profile), requestId));
            }

            error = CheckDimensions(profile, width, height, requestId);
            if (error is not null)
            {
                return Fail(error);
            }

            dimensions = (width, height);
        }
        else if (keyword != "adaptive")
        {
            dimensions = SizeResolver.ForKeyword(profile, keyword, PromptHints.AspectRatio(prompt));
        }

        // 4. reference images
        if (references.Count > profile.MaxReferenceImages)
        {
            return Fail(ArkErrors.Invalid("image", $"number of reference images cannot exceed {profile.MaxReferenceImages}.", requestId));
        }

        (int Width, int Height)? firstReference = null;
        for (var index = 0; index < references.Count; index++)
        {
            var result = await referenceDecoder.CheckAsync(references[index], index, profile, context, requestId, cancellationToken).ConfigureAwait(false);
            if (result.Error is not null)
            {
                return Fail(result.Error);
            }

            firstReference ??= result.Dimensions;
        }

        if (keyword == "adaptive")
        {
            dimensions = SizeResolver.Adaptive(firstReference);
        }

        // 5. max_images
        int? maxImages = null;
        if (body.TryGetProperty("sequential_image_generation_options", out var sequentialOptions)
            && sequentialOptions.ValueKind == JsonValueKind.Object
            && sequentialOptions.TryGetProperty("max_images", out var maxImagesElement)
            && maxImagesElement.ValueKind != JsonValueKind.Null)
        {
            if (!maxImagesElement.TryGetInt32(out var value) || value is < 1 or > MaxGroupImages)
            {
                return Fail(ArkErrors.Invalid("sequential_image_generation_options.max_images", $"max_images must be between 1 and {MaxGroupImages}.", requestId));
            }

            maxImages = value;
        }

        // 6. output_format, optimize_prompt_options.mode
        if (formatElement.ValueKind is not JsonValueKind.Undefined and not JsonValueKind.Null && outputFormat is not ("png" or "jpeg"))
        {
            return Fail(ArkErrors.Invalid("output_format", "output_format must be one of: jpeg, png", requestId));
        }

        if (outputFormat == "png" && profile.OutputFormats.Count == 0)
        {
            return Fail(ArkErrors.Unsupported("output_format", requestId));
        }

        error = CheckOptimizeMode(body, profile, requestId);
        if (error is not null)
        {
            return Fail(error);
        }

        error = CheckSeedAndGuidance(body, profile, requestId);
        if (error is not null)
        {
            return Fail(error);
        }

        // 7. the client's rules the steps above do not answer in the server's own words: a parameter added to the
        //    client (request, validator, capability table) is refused here as the server refuses it, unchanged.
        error = CheckClientRules(body, profile, requestId);
        if (error is not null)
        {
            return Fail(error);
        }

        var groupMode = sequential == "auto";
        var count = 1;
        if (groupMode)
        {
            count = Math.Min(maxImages ?? MaxGroupImages, MaxGroupImages - references.Count);
            count = Math.Max(1, Math.Min(count, PromptHints.ImageCount(prompt) ?? count));
        }

        var format = outputFormat == "png" || (background == "transparent" && outputFormat is null) ? ImageFormat.Png : ImageFormat.Jpeg;
        var plan = new GenerationPlan(
            modelEcho,
            profile,
            dimensions.Width,
            dimensions.Height,
            count,
            groupMode,
            format,
            InlineImages: responseFormat == "b64_json",
            Stream: stream == true,
            Watermark: watermark ?? true,
            WebSearch: webSearch,
            ReferenceCount: references.Count,
            ContentSeed: HashContent(prompt, body));
        return new Outcome(plan, null);
    }

    private static Outcome Fail(ArkError error) => new(null, error);

    private static string SizeKeywordMessage(ModelCapabilities profile) => profile.Family switch
    {
        _ when !profile.SupportsExplicitSize => $"size must be '{profile.SizeKeywords[0]}'.",
        ServedModels.Lite50Family or ServedModels.Pro50Family => $"size must be one of 'WIDTHxHEIGHT', {string.Join(", ", profile.SizeKeywords.SkipLast(1).Select(k => $"'{k.ToLowerInvariant()}'"))}, or '{profile.SizeKeywords[^1].ToLowerInvariant()}'.",
        _ => $"the specified size is not supported for model {profile.Family}.",
    };

    private static ArkError? CheckDimensions(ModelCapabilities profile, int width, int height, string requestId)
    {
        var pixels = (long)width * height;
        if (pixels < profile.MinPixels)
        {
            return ArkErrors.Invalid("size", $"image size must be at least {profile.MinPixels} pixels", requestId);
        }

        if (pixels > profile.MaxPixels)
        {
            return ArkErrors.Invalid("size", $"image size must be at most {profile.MaxPixels} pixels", requestId);
        }

        var ratio = width / (double)height;
        return ratio is > 16 or < 1 / 16.0
            ? ArkErrors.Invalid("size", "the aspect ratio (width/height) must be between 1/16 and 16", requestId)
            : null;
    }

    private static ArkError? CheckOptimizeMode(JsonElement body, ModelCapabilities profile, string requestId)
    {
        if (!body.TryGetProperty("optimize_prompt_options", out var optimize) || optimize.ValueKind != JsonValueKind.Object
            || !optimize.TryGetProperty("mode", out var modeElement) || modeElement.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var mode = modeElement.ValueKind == JsonValueKind.String ? modeElement.GetString() : null;
        if (mode is not ("standard" or "fast"))
        {
            return ArkErrors.Invalid("optimize_prompt_options.mode", "optimize_prompt_options.mode must be one of: standard, fast", requestId);
        }

        return profile.OptimizePromptModes.Contains(mode)
            ? null
            : ArkErrors.Invalid("optimize_prompt_options.mode", "optimize_prompt_options.mode must be 'standard'", requestId);
    }

    /// <summary>Range checks for the models that use seed and guidance_scale; other models ignore both (contract §11.2).</summary>
    private static ArkError? CheckSeedAndGuidance(JsonElement body, ModelCapabilities profile, string requestId)
    {
        if (!profile.SupportsSeed)
        {
            return null;
        }

        if (body.TryGetProperty("seed", out var seed) && seed.ValueKind != JsonValueKind.Null
            && (!seed.TryGetInt64(out var seedValue) || seedValue is < -1 or > int.MaxValue))
        {
            return ArkErrors.Invalid("seed", "seed must be an integer between -1 and 2147483647.", requestId);
        }

        if (body.TryGetProperty("guidance_scale", out var guidance) && guidance.ValueKind != JsonValueKind.Null
            && (guidance.ValueKind != JsonValueKind.Number || guidance.GetDouble() is < 1 or > 10))
        {
            return ArkErrors.Invalid("guidance_scale", "guidance_scale must be between 1 and 10.", requestId);
        }

        return null;
    }

    /// <summary>The first problem the client's validator finds, in the provider's 400 shape and wording (contract §6.2).</summary>
    private static ArkError? CheckClientRules(JsonElement body, ModelCapabilities profile, string requestId)
    {
        ImageGenerationRequest request;
        try
        {
            request = ImageGenerationRequest.FromJson(body.GetRawText());
        }
        catch (SeedreamException exception) when (exception.ValidationErrors.Count > 0)
        {
            // A field of the wrong type: the server's decoder refuses it by name.
            var param = exception.ValidationErrors[0].Param.TrimStart('$', '.');
            return ArkErrors.Invalid(param, $"{param} has the wrong type.", requestId);
        }

        // Gateway aliases and endpoint ids are validated as the model they are served as.
        request.Model = profile.ModelIds[0];
        return ImageGenerationRequestValidator.Validate(request).FirstOrDefault() is { } problem
            ? ArkErrors.FromValidation(problem, requestId)
            : null;
    }

    private static List<string> ReadReferences(JsonElement body, string requestId, out ArkError? error)
    {
        error = null;
        if (!body.TryGetProperty("image", out var image) || image.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (image.ValueKind == JsonValueKind.String)
        {
            return [image.GetString()!];
        }

        if (image.ValueKind == JsonValueKind.Array && image.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String))
        {
            return image.EnumerateArray().Select(item => item.GetString()!).ToList();
        }

        error = ArkErrors.Invalid("image", "image must be a string or an array of strings.", requestId);
        return [];
    }

    private static bool? GetBool(JsonElement body, string name, string requestId, out ArkError? error)
    {
        error = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return element.GetBoolean();
        }

        error = ArkErrors.Invalid(name, $"{name} must be a boolean.", requestId);
        return null;
    }

    private static ArkError? CheckEnum(JsonElement body, string name, string[] allowed, string requestId, out string? value)
    {
        value = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        value = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        return value is not null && allowed.Contains(value)
            ? null
            : ArkErrors.Invalid(name, $"{name} must be one of: {string.Join(", ", allowed)}", requestId);
    }

    /// <summary>Same request → same pictures: the seed covers the prompt and the fields that shape the content.</summary>
    private static ulong HashContent(string prompt, JsonElement body)
    {
        var seed = body.TryGetProperty("seed", out var seedElement) ? seedElement.GetRawText() : "";
        var image = body.TryGetProperty("image", out var imageElement) ? imageElement.GetRawText() : "";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{prompt}\n{seed}\n{image}"));
        return BitConverter.ToUInt64(digest, 0);
    }
}
