using System.Globalization;
using System.Text.Json.Nodes;

namespace Seedream.Functions;

/// <summary>
/// The request parameters an image drop takes from its blob's metadata (and from <see cref="DropOptions.Defaults"/>).
/// Metadata names are lowercase as Azure returns them; values may be percent-encoded, since metadata is ASCII only
/// (a Chinese prompt travels as <c>%E5%B0%86…</c>).
/// </summary>
public static class ImageDropParameters
{
    private enum Kind
    {
        Text,
        Integer,
        Number,
        Boolean,
    }

    private static readonly Dictionary<string, (string[] Path, Kind Kind)> Parameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["prompt"] = (["prompt"], Kind.Text),
        ["model"] = (["model"], Kind.Text),
        ["size"] = (["size"], Kind.Text),
        ["seed"] = (["seed"], Kind.Integer),
        ["guidance_scale"] = (["guidance_scale"], Kind.Number),
        ["sequential_image_generation"] = (["sequential_image_generation"], Kind.Text),
        ["max_images"] = (["sequential_image_generation_options", "max_images"], Kind.Integer),
        ["response_format"] = (["response_format"], Kind.Text),
        ["output_format"] = (["output_format"], Kind.Text),
        ["watermark"] = (["watermark"], Kind.Boolean),
        ["optimize_prompt_mode"] = (["optimize_prompt_options", "mode"], Kind.Text),
        ["background"] = (["background"], Kind.Text),
    };

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
                if (!Parameters.TryGetValue(name, out var parameter))
                {
                    continue;
                }

                var text = Uri.UnescapeDataString(raw);
                JsonNode? value = parameter.Kind switch
                {
                    Kind.Text => JsonValue.Create(text),
                    Kind.Integer => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer) : null,
                    Kind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : null,
                    _ => bool.TryParse(text, out var flag) ? JsonValue.Create(flag) : null,
                };
                var field = string.Join('.', parameter.Path);
                if (value is null)
                {
                    var expected = parameter.Kind switch { Kind.Integer => "an integer", Kind.Number => "a number", _ => "true or false" };
                    errors.TryAdd(field, []);
                    errors[field].Add($"Metadata '{name.ToLowerInvariant()}' must be {expected}, got '{text}'.");
                    continue;
                }

                var parent = request;
                foreach (var segment in parameter.Path[..^1])
                {
                    parent = parent[segment] as JsonObject ?? (JsonObject)(parent[segment] = new JsonObject());
                }

                parent[parameter.Path[^1]] = value;
            }
        }

        return request;
    }
}
