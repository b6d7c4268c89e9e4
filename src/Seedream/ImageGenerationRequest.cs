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

    /// <summary>What to generate (recommended: at most 300 Chinese characters or 600 English words).</summary>
    public string? Prompt { get; set; }

    /// <summary>Reference images: one string or an array of http(s) URLs or <c>data:image/&lt;fmt&gt;;base64,</c> URIs.</summary>
    public ImageReferences? Image { get; set; }

    /// <summary>A keyword (<see cref="SeedreamImageSize.TwoK"/>) or pixels (<see cref="SeedreamImageSize.FromPixels"/>, <c>"2560x1440"</c>).</summary>
    public SeedreamImageSize? Size { get; set; }

    /// <summary>Random seed, -1 (random) to 2147483647 (Seedream 3.0 t2i and SeedEdit 3.0 only).</summary>
    public long? Seed { get; set; }

    /// <summary>Prompt adherence, 1 to 10 (Seedream 3.0 t2i and SeedEdit 3.0 only).</summary>
    public double? GuidanceScale { get; set; }

    /// <summary><see cref="SequentialImageGenerationMode.Auto"/> for a group of related images, or <see cref="SequentialImageGenerationMode.Disabled"/>.</summary>
    public SequentialImageGenerationMode? SequentialImageGeneration { get; set; }

    /// <summary>Options of a group (<c>max_images</c>).</summary>
    public SequentialImageGenerationOptions? SequentialImageGenerationOptions { get; set; }

    /// <summary>
    /// <c>stream</c>: true asks for server-sent events, one per image as it is ready (Seedream 4.0, 4.5, 5.0 lite). Named
    /// so that it does not hide <see cref="System.IO.Stream"/>.
    /// </summary>
    [JsonPropertyName("stream")]
    public bool? EnableStreaming { get; set; }

    /// <summary><see cref="SeedreamResponseFormat.Url"/> (the default) or <see cref="SeedreamResponseFormat.Base64Json"/>.</summary>
    public SeedreamResponseFormat? ResponseFormat { get; set; }

    /// <summary><see cref="SeedreamOutputFormat.Png"/> or <see cref="SeedreamOutputFormat.Jpeg"/> (Seedream 5.0 lite and pro).</summary>
    public SeedreamOutputFormat? OutputFormat { get; set; }

    /// <summary>Whether the provider draws its "AI generated" mark (the provider's default is true).</summary>
    public bool? Watermark { get; set; }

    /// <summary>Prompt optimisation (<c>optimize_prompt_options</c>).</summary>
    public OptimizePromptOptions? OptimizePromptOptions { get; set; }

    /// <summary>Tools the model may use, e.g. web search (Seedream 5.0 lite).</summary>
    public IList<ImageGenerationTool>? Tools { get; set; }

    /// <summary>Layer decomposition (Seedream 5.0 pro).</summary>
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

    /// <summary>True when <see cref="EnableStreaming"/> asks for server-sent events.</summary>
    internal bool IsStreaming => EnableStreaming == true;
}

/// <summary>Options of a group of images (<c>sequential_image_generation_options</c>).</summary>
public sealed class SequentialImageGenerationOptions
{
    /// <summary>Upper bound of generated images, 1–15 (reference images count against 15).</summary>
    public int? MaxImages { get; set; }

    /// <summary>Fields this type does not model; serialized back as they came.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

/// <summary>Prompt optimisation (<c>optimize_prompt_options</c>).</summary>
public sealed class OptimizePromptOptions
{
    /// <summary><c>standard</c> or <c>fast</c>.</summary>
    public string? Mode { get; set; }

    /// <summary><c>auto</c>, <c>enabled</c> or <c>disabled</c> (SDK-only field).</summary>
    public string? Thinking { get; set; }

    /// <summary>Fields this type does not model; serialized back as they came.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

/// <summary>A tool the model may use, e.g. <c>{"type":"web_search"}</c>.</summary>
public sealed class ImageGenerationTool
{
    /// <summary>The <c>type</c> of the web search tool.</summary>
    public const string WebSearch = "web_search";

    /// <summary>The tool's <c>type</c>, e.g. <see cref="WebSearch"/>.</summary>
    public string? Type { get; set; }

    /// <summary>Fields this type does not model; serialized back as they came.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
