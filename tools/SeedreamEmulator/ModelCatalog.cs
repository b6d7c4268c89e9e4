namespace SeedreamEmulator;

/// <summary>What one Seedream model accepts (contract §2.2 and §3).</summary>
internal sealed record ModelProfile(
    string Family,
    string ErrorName,
    IReadOnlyList<string> SizeKeywords,
    string DefaultSize,
    long MinPixels,
    long MaxPixels,
    int MaxReferences,
    bool RequiresReference,
    bool SupportsSequential,
    bool SupportsStream,
    bool SupportsOutputFormat,
    IReadOnlyList<string> OptimizeModes,
    bool SupportsWebSearch,
    bool SupportsLayerDecomposition,
    bool ReportsOutputFormat,
    bool SupportsSeedAndGuidance);

internal static class ModelCatalog
{
    /// <summary>Response <c>model</c> for endpoint ids (<c>ep-…</c>): they are served as Seedream 4.5.</summary>
    public const string EndpointModelEcho = "doubao-seedream-4-5-251128";

    private static readonly ModelProfile Lite = new(
        "5.0-lite", "doubao-seedream-5-0", ["2K", "3K", "4K"], "2048x2048", 3_686_400, 16_777_216, 14,
        RequiresReference: false, SupportsSequential: true, SupportsStream: true, SupportsOutputFormat: true,
        ["standard"], SupportsWebSearch: true, SupportsLayerDecomposition: false, ReportsOutputFormat: true, SupportsSeedAndGuidance: false);

    private static readonly ModelProfile V45 = new(
        "4.5", "doubao-seedream-4-5", ["2K", "4K"], "2048x2048", 3_686_400, 16_777_216, 14,
        RequiresReference: false, SupportsSequential: true, SupportsStream: true, SupportsOutputFormat: false,
        ["standard"], SupportsWebSearch: false, SupportsLayerDecomposition: false, ReportsOutputFormat: false, SupportsSeedAndGuidance: false);

    private static readonly ModelProfile V40 = new(
        "4.0", "doubao-seedream-4-0", ["1K", "2K", "4K"], "2048x2048", 921_600, 16_777_216, 14,
        RequiresReference: false, SupportsSequential: true, SupportsStream: true, SupportsOutputFormat: false,
        ["standard", "fast"], SupportsWebSearch: false, SupportsLayerDecomposition: false, ReportsOutputFormat: false, SupportsSeedAndGuidance: false);

    private static readonly ModelProfile V30 = new(
        "3.0-t2i", "doubao-seedream-3-0-t2i", [], "1024x1024", 512 * 512, 2048 * 2048, 0,
        RequiresReference: false, SupportsSequential: false, SupportsStream: false, SupportsOutputFormat: false,
        [], SupportsWebSearch: false, SupportsLayerDecomposition: false, ReportsOutputFormat: false, SupportsSeedAndGuidance: true);

    private static readonly ModelProfile SeedEdit = new(
        "seededit-3.0", "doubao-seededit-3-0-i2i", ["adaptive"], "adaptive", 0, 0, 1,
        RequiresReference: true, SupportsSequential: false, SupportsStream: false, SupportsOutputFormat: false,
        [], SupportsWebSearch: false, SupportsLayerDecomposition: false, ReportsOutputFormat: false, SupportsSeedAndGuidance: true);

    private static readonly ModelProfile Pro = new(
        "5.0-pro", "doubao-seedream-5-0-pro", ["1K", "1.5K", "2K"], "2K", 921_600, 4_624_220, 10,
        RequiresReference: false, SupportsSequential: false, SupportsStream: false, SupportsOutputFormat: true,
        ["standard", "fast"], SupportsWebSearch: false, SupportsLayerDecomposition: true, ReportsOutputFormat: true, SupportsSeedAndGuidance: false);

    private static readonly Dictionary<string, ModelProfile> ById = new(StringComparer.Ordinal)
    {
        ["doubao-seedream-5-0-260128"] = Lite,
        ["doubao-seedream-5-0-lite-260128"] = Lite,
        ["seedream-5-0-260128"] = Lite,
        ["seedream-5-0-lite-260128"] = Lite,
        ["doubao-seedream-5-0-lite"] = Lite,
        ["doubao-seedream-4-5-251128"] = V45,
        ["seedream-4-5-251128"] = V45,
        ["seedream-4.5"] = V45,
        ["doubao-seedream-4-0-250828"] = V40,
        ["seedream-4-0-250828"] = V40,
        ["bytedance/seedream-4.0"] = V40,
        ["doubao-seedream-3-0-t2i-250415"] = V30,
        ["seedream-3-0-t2i-250415"] = V30,
        ["doubao-seededit-3-0-i2i-250628"] = SeedEdit,
        ["seededit-3-0-i2i-250628"] = SeedEdit,
        ["doubao-seedream-5-0-pro-260628"] = Pro,
        ["dola-seedream-5-0-pro-260628"] = Pro,
        ["dola-seedream-5-0-flash-260915"] = Pro,
    };

    /// <summary>
    /// The ids a model list names: with <paramref name="includeGatewayAliases"/> every id, else only the dated
    /// first-party ids (<c>…-YYMMDD</c>). <c>created</c> is the id's date (an alias takes the date of its profile's
    /// first dated id); <c>owned_by</c> is <c>volcengine</c> for <c>doubao-…</c>, <c>byteplus</c> for the other dated ids
    /// and <c>custom</c> for gateway aliases (new-api's name for a channel without a known owner).
    /// </summary>
    public static IEnumerable<(string Id, DateTimeOffset Created, string OwnedBy)> Listed(bool includeGatewayAliases)
    {
        foreach (var (id, profile) in ById)
        {
            var date = DateOf(id);
            if (date is null && !includeGatewayAliases)
            {
                continue;
            }

            var created = date ?? ById.Where(pair => pair.Value == profile).Select(pair => DateOf(pair.Key)).First(d => d is not null)!.Value;
            var owner = date is null ? "custom" : id.StartsWith("doubao-", StringComparison.Ordinal) ? "volcengine" : "byteplus";
            yield return (id, created, owner);
        }
    }

    private static DateTimeOffset? DateOf(string id)
    {
        var dash = id.LastIndexOf('-');
        var suffix = dash < 0 ? "" : id[(dash + 1)..];
        return suffix.Length == 6 && DateTimeOffset.TryParseExact(suffix, "yyMMdd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var date) ? date : null;
    }

    /// <summary>Finds the profile and the id the response echoes; null for unknown ids.</summary>
    public static (ModelProfile Profile, string Echo)? Find(string model)
    {
        if (model.StartsWith("ep-", StringComparison.Ordinal) && model.Length > 3)
        {
            return (V45, EndpointModelEcho);
        }

        return ById.TryGetValue(model, out var profile) ? (profile, model) : null;
    }
}
