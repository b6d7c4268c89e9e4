using System.Buffers.Text;
using System.Globalization;

namespace Seedream;

/// <summary>One problem found in a request before it was sent.</summary>
/// <param name="Param">JSON path of the field at fault, e.g. <c>size</c>, <c>image[2]</c>.</param>
/// <param name="Code"><c>MissingParameter</c> or <c>InvalidParameter</c>.</param>
/// <param name="Message">The server's own wording where known (contract §6.2).</param>
public sealed record SeedreamValidationError(string Param, string Code, string Message);

/// <summary>
/// Checks a request against the contract so that a request that cannot succeed never costs a call. Known models get
/// the full capability table; unknown ids (gateway aliases, <c>ep-…</c>) only the model-independent rules.
/// </summary>
public static class ImageGenerationRequestValidator
{
    internal const string MissingParameter = "MissingParameter";
    internal const string InvalidParameter = "InvalidParameter";

    private const int MaxImagesLimit = 15;
    private const string DataUriPrefix = "data:";
    private const string Base64Marker = ";base64,";
    private static readonly string[] ResponseFormats = ["url", "b64_json"];
    private static readonly string[] SequentialModes = ["auto", "disabled"];
    private static readonly string[] BackgroundModes = ["transparent", "opaque"];
    private static readonly string[] KnownOutputFormats = ["jpeg", "png"];

    /// <summary>Every problem found, in field order; an empty list means the request may be sent.</summary>
    public static IReadOnlyList<SeedreamValidationError> Validate(ImageGenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<SeedreamValidationError>();
        var model = SeedreamModelCapabilities.Find(request.Model);

        if (string.IsNullOrWhiteSpace(request.Model))
        {
            errors.Add(Missing("model"));
        }

        // Prompt is optional only in 5.0 pro layer-decomposition mode; for unknown models the caller may be using it.
        var promptOptional = request.LayerDecomposition == true && (model is null || model.SupportsLayersAndBackground);
        if (string.IsNullOrWhiteSpace(request.Prompt) && !promptOptional)
        {
            errors.Add(Missing("prompt"));
        }

        if (model is not null)
        {
            ValidateModelSpecificFields(request, model, errors);
        }

        ValidateImages(request, model, errors);
        ValidateEnumerations(request, errors);

        var maxImages = request.SequentialImageGenerationOptions?.MaxImages;
        if (maxImages is < 1 or > MaxImagesLimit)
        {
            errors.Add(Invalid("sequential_image_generation_options.max_images",
                $"max_images must be between 1 and {MaxImagesLimit}, got {maxImages}."));
        }

        return errors;
    }

    /// <summary>Throws <see cref="SeedreamException"/> (status 400, no network) when <see cref="Validate"/> finds problems.</summary>
    internal static void ThrowIfInvalid(ImageGenerationRequest request)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            throw SeedreamException.ForValidation(errors);
        }
    }

    private static void ValidateModelSpecificFields(ImageGenerationRequest request, ModelCapabilities model, List<SeedreamValidationError> errors)
    {
        ValidateSize(request.Size?.ToString(), model, errors);

        if (request.Seed is { } seed && model.SupportsSeed && (seed < -1 || seed > int.MaxValue))
        {
            errors.Add(Invalid("seed", $"seed must be between -1 and {int.MaxValue}."));
        }

        if (request.GuidanceScale is { } guidance && model.SupportsGuidanceScale && (guidance < 1 || guidance > 10 || double.IsNaN(guidance)))
        {
            errors.Add(Invalid("guidance_scale", "guidance_scale must be between 1 and 10."));
        }

        if (string.Equals(request.SequentialImageGeneration?.ToString(), "auto", StringComparison.Ordinal) && !model.SupportsSequentialGeneration)
        {
            errors.Add(NotSupported("sequential_image_generation"));
        }

        if (request.EnableStreaming == true && !model.SupportsStreaming)
        {
            errors.Add(NotSupported("stream"));
        }

        if (request.OptimizePromptOptions?.Mode is { } mode)
        {
            if (model.OptimizePromptModes.Count == 0)
            {
                errors.Add(NotSupported("optimize_prompt_options"));
            }
            else if (!model.OptimizePromptModes.Contains(mode, StringComparer.Ordinal))
            {
                errors.Add(Invalid("optimize_prompt_options.mode", model.OptimizePromptModes.Count == 1
                    ? $"optimize_prompt_options.mode must be '{model.OptimizePromptModes[0]}'"
                    : $"optimize_prompt_options.mode must be one of: {string.Join(", ", model.OptimizePromptModes.Select(m => $"'{m}'"))}"));
            }
        }

        // JPEG-only models: asking for jpeg is harmless, asking for png cannot be honoured.
        if (string.Equals(request.OutputFormat?.ToString(), "png", StringComparison.Ordinal) && model.OutputFormats.Count == 0)
        {
            errors.Add(NotSupported("output_format"));
        }

        if (request.Tools is { Count: > 0 } && !model.SupportsWebSearch)
        {
            errors.Add(NotSupported("tools"));
        }

        if (request.LayerDecomposition == true && !model.SupportsLayersAndBackground)
        {
            errors.Add(NotSupported("layer_decomposition"));
        }

        var transparent = string.Equals(request.Background, "transparent", StringComparison.Ordinal);
        if (transparent && !model.SupportsLayersAndBackground)
        {
            errors.Add(NotSupported("background"));
        }
        else if (transparent)
        {
            if (request.Image?.Count != 1)
            {
                errors.Add(new SeedreamValidationError("background", InvalidParameter, "transparent background requires exactly one input image"));
            }

            if (request.OutputFormat is not null && !string.Equals(request.OutputFormat?.ToString(), "png", StringComparison.Ordinal))
            {
                errors.Add(new SeedreamValidationError("output_format", InvalidParameter, "must be png when background is transparent"));
            }
        }

        if (request.LayerDecomposition == true && model.SupportsLayersAndBackground && request.Image?.Count != 1)
        {
            errors.Add(Invalid("image", "layer decomposition requires exactly one input image"));
        }
    }

    private static void ValidateSize(string? size, ModelCapabilities model, List<SeedreamValidationError> errors)
    {
        if (size is null)
        {
            return;
        }

        if (model.SizeKeywords.Contains(size, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        if (!TryParseSize(size, out var width, out var height))
        {
            errors.Add(Invalid("size", SizeChoicesMessage(model)));
            return;
        }

        if (!model.SupportsExplicitSize)
        {
            errors.Add(Invalid("size", SizeChoicesMessage(model)));
            return;
        }

        var pixels = (long)width * height;
        if (pixels < model.MinPixels)
        {
            errors.Add(Invalid("size", $"image size must be at least {model.MinPixels} pixels"));
        }
        else if (pixels > model.MaxPixels)
        {
            errors.Add(Invalid("size", $"image size must be at most {model.MaxPixels} pixels"));
        }

        if (model.MaxAspectRatio > 0 && ((double)width / height > model.MaxAspectRatio || (double)height / width > model.MaxAspectRatio))
        {
            errors.Add(Invalid("size", $"aspect ratio (width/height) must be between 1/{model.MaxAspectRatio} and {model.MaxAspectRatio}"));
        }
    }

    private static string SizeChoicesMessage(ModelCapabilities model)
    {
        if (model.SizeKeywords.Count == 0)
        {
            return "size must be 'WIDTHxHEIGHT'";
        }

        // 4.5 answers with this wording for keywords it does not know (contract §6.2).
        if (model.Family == "doubao-seedream-4-5")
        {
            return $"the specified size is not supported for model {model.Family}";
        }

        var choices = model.SizeKeywords.Select(k => $"'{k.ToLowerInvariant()}'").ToList();
        if (model.SupportsExplicitSize)
        {
            choices.Insert(0, "'WIDTHxHEIGHT'");
        }

        return choices.Count == 1
            ? $"size must be {choices[0]}."
            : $"size must be one of {string.Join(", ", choices.Take(choices.Count - 1))}, or {choices[^1]}.";
    }

    /// <summary>Parses <c>WxH</c> (ASCII x, positive integers).</summary>
    internal static bool TryParseSize(string? size, out int width, out int height)
    {
        width = height = 0;
        if (size is null)
        {
            return false;
        }

        var separator = size.IndexOf('x', StringComparison.Ordinal);
        return separator > 0
            && int.TryParse(size.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(size.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out height)
            && width > 0 && height > 0;
    }

    private static void ValidateImages(ImageGenerationRequest request, ModelCapabilities? model, List<SeedreamValidationError> errors)
    {
        var images = request.Image;
        var count = images?.Count ?? 0;
        if (model is not null)
        {
            if (count > 0 && model.MaxReferenceImages == 0)
            {
                errors.Add(NotSupported("image"));
                return;
            }

            if (count == 0 && model.MinReferenceImages > 0)
            {
                errors.Add(Missing("image"));
            }
            else if (count > model.MaxReferenceImages)
            {
                errors.Add(Invalid("image", $"number of reference images cannot exceed {model.MaxReferenceImages}"));
            }
        }

        if (images is null)
        {
            return;
        }

        // Unknown models: the largest limit of any known model; nothing above it can succeed anywhere.
        var maxBytes = model?.MaxReferenceImageBytes ?? 30L * 1024 * 1024;
        for (var i = 0; i < images.Count; i++)
        {
            var param = images.IsSingle ? "image" : $"image[{i}]";
            if (ValidateReference(images[i], model, maxBytes) is { } message)
            {
                errors.Add(new SeedreamValidationError(param, InvalidParameter, message));
            }
        }
    }

    private static string? ValidateReference(string reference, ModelCapabilities? model, long maxBytes)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return "Empty base64 image url";
        }

        if (!reference.StartsWith(DataUriPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(reference, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? null
                : "image must be an absolute http(s) URL or a data:image/<format>;base64, URI";
        }

        var marker = reference.IndexOf(Base64Marker, StringComparison.Ordinal);
        var mediaType = marker < 0 ? string.Empty : reference[DataUriPrefix.Length..marker];
        if (marker < 0 || !mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            return "Invalid base64 image url: expected data:image/<format>;base64,<data>";
        }

        var format = mediaType["image/".Length..];
        if (!string.Equals(format, format.ToLowerInvariant(), StringComparison.Ordinal) || !reference.StartsWith(DataUriPrefix, StringComparison.Ordinal))
        {
            return $"Invalid base64 image url: the image format must be lowercase (data:image/{format.ToLowerInvariant()};base64,)";
        }

        var formats = model?.ReferenceImageFormats ?? ["jpeg", "jpg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif"];
        if (!formats.Contains(format, StringComparer.Ordinal))
        {
            return $"image format {format} is not supported; supported formats: {string.Join(", ", formats)}";
        }

        var payload = reference.AsSpan(marker + Base64Marker.Length);
        if (payload.IsEmpty)
        {
            return "Empty base64 image url";
        }

        if (!Base64.IsValid(payload, out var decodedLength))
        {
            return "Invalid base64 image url: the data is not valid base64";
        }

        return decodedLength > maxBytes
            ? $"image size must be at most {maxBytes / (1024 * 1024)} MB, got {decodedLength} bytes"
            : null;
    }

    private static void ValidateEnumerations(ImageGenerationRequest request, List<SeedreamValidationError> errors)
    {
        if (request.ResponseFormat?.ToString() is { } responseFormat && !ResponseFormats.Contains(responseFormat, StringComparer.Ordinal))
        {
            errors.Add(Invalid("response_format", "must be one of: url, b64_json"));
        }

        if (request.OutputFormat?.ToString() is { } outputFormat && !KnownOutputFormats.Contains(outputFormat, StringComparer.Ordinal))
        {
            errors.Add(Invalid("output_format", "must be one of: jpeg, png"));
        }

        if (request.SequentialImageGeneration?.ToString() is { } sequential && !SequentialModes.Contains(sequential, StringComparer.Ordinal))
        {
            errors.Add(Invalid("sequential_image_generation", "must be one of: auto, disabled"));
        }

        if (request.Background is { } background && !BackgroundModes.Contains(background, StringComparer.Ordinal))
        {
            errors.Add(Invalid("background", "must be one of: transparent, opaque"));
        }
    }

    private static SeedreamValidationError Missing(string param) =>
        new(param, MissingParameter, $"The required parameter {param} is missing.");

    private static SeedreamValidationError NotSupported(string param) =>
        Invalid(param, $"the parameter `{param}` is not supported by the current model.");

    private static SeedreamValidationError Invalid(string param, string detail)
    {
        var field = param.Split('[')[0];
        return new(param, InvalidParameter, $"The parameter `{field}` specified in the request is not valid: {detail}");
    }
}
