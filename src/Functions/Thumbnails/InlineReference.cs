namespace Seedream.Functions.Thumbnails;

/// <summary>A job's reference images (<c>image</c>: a string or an array), and the bytes of those sent inline.</summary>
public static class InlineReference
{
    /// <summary>The request's references in order: URLs or <c>data:</c> URIs, as the caller sent them.</summary>
    public static IReadOnlyList<string> All(ImageGenerationRequest? request) => request?.Image is { } image ? image : [];

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
