namespace Seedream;

/// <summary>What one model accepts (contract §2.2 and §3.2). Used to refuse requests that cannot succeed before any call.</summary>
public sealed class ModelCapabilities
{
    internal ModelCapabilities(string family, IReadOnlyList<string> modelIds)
    {
        Family = family;
        ModelIds = modelIds;
    }

    /// <summary>Family name as the server spells it in messages, e.g. <c>doubao-seedream-4-5</c>.</summary>
    public string Family { get; }

    /// <summary>The model ids (Volcengine and BytePlus spellings) these capabilities belong to.</summary>
    public IReadOnlyList<string> ModelIds { get; }

    /// <summary>False for models that need a reference image (SeedEdit).</summary>
    public bool SupportsTextToImage { get; init; } = true;

    /// <summary>Minimum number of reference images (1 for image-to-image-only models).</summary>
    public int MinReferenceImages { get; init; }

    /// <summary>Maximum number of reference images; 0 means the <c>image</c> parameter is rejected.</summary>
    public int MaxReferenceImages { get; init; }

    /// <summary>Largest decoded reference image (data URI) in bytes.</summary>
    public long MaxReferenceImageBytes { get; init; } = 30L * 1024 * 1024;

    /// <summary>Formats accepted in <c>data:image/&lt;fmt&gt;;base64,</c> references.</summary>
    public IReadOnlyList<string> ReferenceImageFormats { get; init; } = ["jpeg", "jpg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif"];

    /// <summary>Accepted <c>size</c> keywords (case-insensitive).</summary>
    public IReadOnlyList<string> SizeKeywords { get; init; } = [];

    /// <summary>False when only keywords are accepted (SeedEdit <c>adaptive</c>).</summary>
    public bool SupportsExplicitSize { get; init; } = true;

    /// <summary>Smallest W×H of an explicit size.</summary>
    public long MinPixels { get; init; }

    /// <summary>Largest W×H of an explicit size.</summary>
    public long MaxPixels { get; init; }

    /// <summary>Largest allowed W/H and H/W ratio; 0 when the contract states none.</summary>
    public double MaxAspectRatio { get; init; } = 16;

    /// <summary>The size used when <c>size</c> is absent.</summary>
    public string DefaultSize { get; init; } = "2048x2048";

    /// <summary>Whether <c>seed</c> is accepted.</summary>
    public bool SupportsSeed { get; init; }

    /// <summary>Whether <c>guidance_scale</c> is accepted.</summary>
    public bool SupportsGuidanceScale { get; init; }

    /// <summary>Whether <c>sequential_image_generation: auto</c> (groups) is accepted.</summary>
    public bool SupportsSequentialGeneration { get; init; }

    /// <summary>Whether <c>stream: true</c> is accepted.</summary>
    public bool SupportsStreaming { get; init; }

    /// <summary>Accepted <c>optimize_prompt_options.mode</c> values; empty when the option is rejected.</summary>
    public IReadOnlyList<string> OptimizePromptModes { get; init; } = [];

    /// <summary>Accepted <c>output_format</c> values; models without the option always produce JPEG.</summary>
    public IReadOnlyList<string> OutputFormats { get; init; } = [];

    /// <summary>The format produced when <c>output_format</c> is absent.</summary>
    public string DefaultOutputFormat { get; init; } = "jpeg";

    /// <summary>Whether the <c>web_search</c> tool is accepted.</summary>
    public bool SupportsWebSearch { get; init; }

    /// <summary>Seedream 5.0 pro: <c>layer_decomposition</c> and <c>background</c>.</summary>
    public bool SupportsLayersAndBackground { get; init; }
}

/// <summary>The capability table of the known models (contract §2.2).</summary>
public static class SeedreamModelCapabilities
{
    private static readonly ModelCapabilities Lite50 = new("doubao-seedream-5-0",
        [SeedreamModels.Seedream50Lite, SeedreamModels.Seedream50LiteAlias, SeedreamModels.BytePlusSeedream50Lite, SeedreamModels.BytePlusSeedream50LiteAlias])
    {
        MaxReferenceImages = 14,
        SizeKeywords = ["2K", "3K", "4K"],
        MinPixels = 3_686_400,
        MaxPixels = 16_777_216,
        SupportsSequentialGeneration = true,
        SupportsStreaming = true,
        OptimizePromptModes = ["standard"],
        OutputFormats = ["png", "jpeg"],
        SupportsWebSearch = true,
    };

    private static readonly ModelCapabilities V45 = new("doubao-seedream-4-5",
        [SeedreamModels.Seedream45, SeedreamModels.BytePlusSeedream45])
    {
        MaxReferenceImages = 14,
        SizeKeywords = ["2K", "4K"],
        MinPixels = 3_686_400,
        MaxPixels = 16_777_216,
        SupportsSequentialGeneration = true,
        SupportsStreaming = true,
        OptimizePromptModes = ["standard"],
    };

    private static readonly ModelCapabilities V40 = new("doubao-seedream-4-0",
        [SeedreamModels.Seedream40, SeedreamModels.BytePlusSeedream40])
    {
        MaxReferenceImages = 14,
        SizeKeywords = ["1K", "2K", "4K"],
        MinPixels = 921_600,
        MaxPixels = 16_777_216,
        SupportsSequentialGeneration = true,
        SupportsStreaming = true,
        OptimizePromptModes = ["standard", "fast"],
    };

    private static readonly ModelCapabilities T2i30 = new("doubao-seedream-3-0-t2i",
        [SeedreamModels.Seedream30TextToImage, SeedreamModels.BytePlusSeedream30TextToImage])
    {
        MaxReferenceImages = 0,
        MinPixels = 512 * 512,
        MaxPixels = 2048 * 2048,
        MaxAspectRatio = 0,
        DefaultSize = "1024x1024",
        SupportsSeed = true,
        SupportsGuidanceScale = true,
        MaxReferenceImageBytes = 10L * 1024 * 1024,
    };

    private static readonly ModelCapabilities SeedEdit30 = new("doubao-seededit-3-0-i2i",
        [SeedreamModels.SeedEdit30ImageToImage, SeedreamModels.BytePlusSeedEdit30ImageToImage])
    {
        SupportsTextToImage = false,
        MinReferenceImages = 1,
        MaxReferenceImages = 1,
        SizeKeywords = ["adaptive"],
        SupportsExplicitSize = false,
        DefaultSize = "adaptive",
        SupportsSeed = true,
        SupportsGuidanceScale = true,
        MaxReferenceImageBytes = 10L * 1024 * 1024,
        ReferenceImageFormats = ["jpeg", "jpg", "png"],
    };

    private static readonly ModelCapabilities Pro50 = new("doubao-seedream-5-0-pro",
        [SeedreamModels.Seedream50Pro, SeedreamModels.BytePlusSeedream50Pro, SeedreamModels.BytePlusSeedream50Flash])
    {
        MaxReferenceImages = 10,
        SizeKeywords = ["1K", "1.5K", "2K"],
        MinPixels = 921_600,
        MaxPixels = 4_624_220,
        DefaultSize = "2K",
        OptimizePromptModes = ["standard", "fast"],
        OutputFormats = ["png", "jpeg"],
        SupportsLayersAndBackground = true,
    };

    private static readonly Dictionary<string, ModelCapabilities> ById = new[] { Lite50, V45, V40, T2i30, SeedEdit30, Pro50 }
        .SelectMany(capabilities => capabilities.ModelIds.Select(id => (id, capabilities)))
        .ToDictionary(pair => pair.id, pair => pair.capabilities, StringComparer.OrdinalIgnoreCase);

    /// <summary>All known models.</summary>
    public static IReadOnlyCollection<string> KnownModelIds => ById.Keys;

    /// <summary>The capabilities of a known model id; null for gateway aliases, <c>ep-…</c> endpoint ids and unknown ids.</summary>
    public static ModelCapabilities? Find(string model) =>
        model is not null && ById.TryGetValue(model, out var capabilities) ? capabilities : null;
}
