using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>
/// The body of <c>POST {base}/images/generations</c>. Every parameter of the contract is a property; fields this type
/// does not know are kept in <see cref="AdditionalProperties"/> and sent back unchanged.
/// </summary>
public sealed class ImageGenerationRequest
{
    /// <summary>Model id (<c>doubao-seedream-5-0-260128</c>, <c>seedream-4-5-251128</c>, a gateway alias or an <c>ep-…</c> endpoint id).</summary>
    public string Model { get; set; } = string.Empty;

    public string? Prompt { get; set; }

    /// <summary>Reference images: one string or an array of http(s) URLs or <c>data:image/&lt;fmt&gt;;base64,</c> URIs.</summary>
    public ImageReferences? Image { get; set; }

    /// <summary>A keyword (<c>2K</c>) or <c>WxH</c>.</summary>
    public string? Size { get; set; }

    public long? Seed { get; set; }

    public double? GuidanceScale { get; set; }

    /// <summary><c>auto</c> or <c>disabled</c>.</summary>
    public string? SequentialImageGeneration { get; set; }

    public SequentialImageGenerationOptions? SequentialImageGenerationOptions { get; set; }

    public bool? Stream { get; set; }

    /// <summary><c>url</c> (default) or <c>b64_json</c>.</summary>
    public string? ResponseFormat { get; set; }

    /// <summary><c>png</c> or <c>jpeg</c>.</summary>
    public string? OutputFormat { get; set; }

    public bool? Watermark { get; set; }

    public OptimizePromptOptions? OptimizePromptOptions { get; set; }

    public IList<ImageGenerationTool>? Tools { get; set; }

    public bool? LayerDecomposition { get; set; }

    /// <summary><c>transparent</c> or <c>opaque</c> (Seedream 5.0 pro).</summary>
    public string? Background { get; set; }

    /// <summary>Fields this type does not model; serialized back as they came.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Parses a request body. Throws <see cref="SeedreamException"/> (status 400) when the JSON does not fit the schema.</summary>
    public static ImageGenerationRequest FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<ImageGenerationRequest>(json, SeedreamJson.Options)
                ?? throw SeedreamException.ForInvalidRequestJson("$", "The request body must be a JSON object, not null.");
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            throw SeedreamException.ForInvalidRequestJson(path, $"The request body is not a valid image generation request at '{path}': {ex.Message}");
        }
    }

    /// <summary>The JSON body as sent to the API.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SeedreamJson.Options);

    internal byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, SeedreamJson.Options);

    /// <summary>True when <see cref="Stream"/> asks for server-sent events.</summary>
    internal bool IsStreaming => Stream == true;
}

public sealed class SequentialImageGenerationOptions
{
    /// <summary>Upper bound of generated images, 1–15 (reference images count against 15).</summary>
    public int? MaxImages { get; set; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

public sealed class OptimizePromptOptions
{
    /// <summary><c>standard</c> or <c>fast</c>.</summary>
    public string? Mode { get; set; }

    /// <summary><c>auto</c>, <c>enabled</c> or <c>disabled</c> (SDK-only field).</summary>
    public string? Thinking { get; set; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

/// <summary>A tool the model may use, e.g. <c>{"type":"web_search"}</c>.</summary>
public sealed class ImageGenerationTool
{
    public const string WebSearch = "web_search";

    public string? Type { get; set; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
