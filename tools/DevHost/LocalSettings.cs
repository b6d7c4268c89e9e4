using System.Text.Json;

namespace Seedream.DevHost;

/// <summary>local.settings.json <c>Values</c>, as Core Tools exposes them to the app (names with "__" nest, like environment variables).</summary>
public static class LocalSettings
{
    public static IReadOnlyDictionary<string, string?> LoadValues(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return values;
        }

        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var setting in section.EnumerateObject())
            {
                values[setting.Name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] =
                    setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : setting.Value.GetRawText();
            }
        }

        return values;
    }
}
