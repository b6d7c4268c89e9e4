using System.Text.Json;

namespace Seedream.Functions;

/// <summary>A job's reference images (<c>image</c>: a string or an array), and the bytes of those sent inline.</summary>
public static class InlineReference
{
    /// <summary>The request's references in order: URLs or <c>data:</c> URIs, as the caller sent them.</summary>
    public static IReadOnlyList<string> All(JsonElement? request)
    {
        if (request is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("image", out var image))
        {
            return [];
        }

        return image.ValueKind switch
        {
            JsonValueKind.String => [image.GetString()!],
            JsonValueKind.Array => image.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList(),
            _ => [],
        };
    }

    /// <summary>The decoded bytes of a <c>data:image/…;base64,</c> reference; null for anything else (URLs, bad data).</summary>
    public static byte[]? Decode(string reference)
    {
        const string Marker = ";base64,";
        if (!reference.StartsWith("data:image/", StringComparison.Ordinal))
        {
            return null;
        }

        var start = reference.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(reference[(start + Marker.Length)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
