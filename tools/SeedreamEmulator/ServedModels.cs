using Seedream;

namespace SeedreamEmulator;

/// <summary>
/// The model ids the emulator serves and what each accepts. The capabilities are the client's table
/// (<see cref="SeedreamModelCapabilities"/>, contract §2.2), read rather than copied, so a new model or parameter is
/// written once; this class adds only what a server knows and the client does not: the gateway aliases and the
/// model an endpoint id (<c>ep-…</c>) stands for.
/// </summary>
internal static class ServedModels
{
    /// <summary>Response <c>model</c> for endpoint ids (<c>ep-…</c>): they are served as Seedream 4.5.</summary>
    public const string EndpointModelEcho = SeedreamModels.Seedream45;

    /// <summary>Family names as the capability table spells them, for the few answers that differ by family.</summary>
    public const string Lite50Family = "doubao-seedream-5-0";
    public const string Pro50Family = "doubao-seedream-5-0-pro";

    // Gateway (new-api) channel names; each is served as the dated model it names.
    private static readonly (string Alias, string Model)[] GatewayAliases =
    [
        ("doubao-seedream-5-0-lite", SeedreamModels.Seedream50Lite),
        ("seedream-4.5", SeedreamModels.Seedream45),
        ("bytedance/seedream-4.0", SeedreamModels.Seedream40),
    ];

    // Listing order: each model's dated ids, then its gateway aliases.
    private static readonly Dictionary<string, ModelCapabilities> ById = SeedreamModelCapabilities.KnownModelIds
        .Select(SeedreamModelCapabilities.Find)
        .Distinct()
        .SelectMany(capabilities => capabilities!.ModelIds
            .Concat(GatewayAliases.Where(alias => capabilities.ModelIds.Contains(alias.Model)).Select(alias => alias.Alias))
            .Select(id => (id, capabilities)))
        .ToDictionary(pair => pair.id, pair => pair.capabilities, StringComparer.Ordinal);

    /// <summary>
    /// The ids a model list names: with <paramref name="includeGatewayAliases"/> every id, else only the dated
    /// first-party ids (<c>…-YYMMDD</c>). <c>created</c> is the id's date (an alias takes the date of its model's
    /// first dated id); <c>owned_by</c> is <c>volcengine</c> for <c>doubao-…</c>, <c>byteplus</c> for the other dated ids
    /// and <c>custom</c> for gateway aliases (new-api's name for a channel without a known owner).
    /// </summary>
    public static IEnumerable<(string Id, DateTimeOffset Created, string OwnedBy)> Listed(bool includeGatewayAliases)
    {
        foreach (var (id, capabilities) in ById)
        {
            var date = DateOf(id);
            if (date is null && !includeGatewayAliases)
            {
                continue;
            }

            var created = date ?? capabilities.ModelIds.Select(DateOf).First(d => d is not null)!.Value;
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

    /// <summary>Finds the capabilities and the id the response echoes; null for unknown ids.</summary>
    public static (ModelCapabilities Capabilities, string Echo)? Find(string model)
    {
        if (model.StartsWith("ep-", StringComparison.Ordinal) && model.Length > 3)
        {
            return (ById[EndpointModelEcho], EndpointModelEcho);
        }

        return ById.TryGetValue(model, out var capabilities) ? (capabilities, model) : null;
    }
}
