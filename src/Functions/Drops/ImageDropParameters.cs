using System.Globalization;
using System.Text.Json.Nodes;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Drops;

/// <summary>
/// The request parameters an image drop takes from its blob's metadata (and from <see cref="DropOptions.Defaults"/>).
/// Metadata names are lowercase as Azure returns them; values may be percent-encoded, since metadata is ASCII only
/// (a Chinese prompt travels as <c>%E5%B0%86…</c>).
/// </summary>
public static class ImageDropParameters
{
    /// <summary>Request fields an image drop does not take from metadata, and why (every other field is in <see cref="Fields"/>; a test checks it).</summary>
    public static IReadOnlyDictionary<string, string> NotFromMetadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["image"] = "the dropped blob is the reference image",
        ["sequential_image_generation_options"] = "an object; its max_images is the metadata 'max_images'",
        ["optimize_prompt_options"] = "an object; its mode is the metadata 'optimize_prompt_mode'",
        ["optimize_prompt_options.thinking"] = "not offered for drops (use a JSON drop)",
        ["stream"] = "the pipeline chooses streaming itself",
        ["tools"] = "an array of objects, not a metadata value (use a JSON drop)",
        ["layer_decomposition"] = "not offered for drops (use a JSON drop)",
    };

    /// <summary>
    /// Metadata name → request field (its JSON path): every top-level text, number or boolean field of the request under
    /// its own name unless <see cref="NotFromMetadata"/> names it, plus <see cref="Renamed"/> for nested ones. The
    /// field's type comes from the request (<see cref="RequestFields"/>), so a new scalar parameter is a drop parameter too.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Fields { get; } = RequestFields.All.Values
        .Where(field => !field.Path.Contains('.', StringComparison.Ordinal) && IsScalar(field.Kind))
        .Select(field => field.Path)
        .Except(NotFromMetadata.Keys)
        .Select(path => KeyValuePair.Create(path, path))
        .Concat(Renamed)
        .ToDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Nested fields, flattened to one metadata name.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Renamed =>
    [
        KeyValuePair.Create("max_images", "sequential_image_generation_options.max_images"),
        KeyValuePair.Create("optimize_prompt_mode", "optimize_prompt_options.mode"),
    ];

    /// <summary>
    /// A request body from the defaults overridden by the blob's metadata; values that do not convert are reported
    /// in <paramref name="errors"/> under their request field.
    /// </summary>
    public static JsonObject ToRequest(IReadOnlyDictionary<string, string> defaults, IReadOnlyDictionary<string, string> metadata, Dictionary<string, List<string>> errors)
    {
        var request = new JsonObject();
        foreach (var source in new[] { defaults, metadata })
        {
            foreach (var (name, raw) in source)
            {
                if (!Fields.TryGetValue(name, out var field) || RequestFields.Find(field) is not { } parameter)
                {
                    continue;
                }

                var text = Uri.UnescapeDataString(raw);
                JsonNode? value = parameter.Kind switch
                {
                    RequestFieldKind.Integer => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer) : null,
                    RequestFieldKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : null,
                    RequestFieldKind.Boolean => bool.TryParse(text, out var flag) ? JsonValue.Create(flag) : null,
                    _ => JsonValue.Create(text),
                };
                if (value is null)
                {
                    errors.TryAdd(field, []);
                    errors[field].Add($"Metadata '{name.ToLowerInvariant()}' must be {parameter.Expected}, got '{text}'.");
                    continue;
                }

                var path = field.Split('.');
                var parent = request;
                foreach (var segment in path[..^1])
                {
                    parent = parent[segment] as JsonObject ?? (JsonObject)(parent[segment] = new JsonObject());
                }

                parent[path[^1]] = value;
            }
        }

        return request;
    }

    private static bool IsScalar(RequestFieldKind kind) => kind is RequestFieldKind.String or RequestFieldKind.Integer or RequestFieldKind.Number or RequestFieldKind.Boolean;
}
