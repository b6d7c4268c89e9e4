namespace Seedream.Http;

/// <summary>Builds endpoints from a base URL and moves a request to the same path under the next base URL.</summary>
internal static class SeedreamEndpoints
{
    private const string GenerationsPath = "images/generations";
    private const string ModelsPath = "models";

    /// <summary><c>…/v1</c> or <c>…/api/v3</c>, with or without trailing slash, plus <c>/images/generations</c>.</summary>
    public static Uri Generations(Uri baseUrl) => Under(baseUrl, GenerationsPath);

    /// <summary><c>…/v1/models</c> or <c>…/api/v3/models</c>.</summary>
    public static Uri Models(Uri baseUrl) => Under(baseUrl, ModelsPath);

    /// <summary>
    /// The endpoint with the same path under the base URL after the one <paramref name="current"/> belongs to (wrapping
    /// around); the generation endpoint of the first base URL when <paramref name="current"/> belongs to none.
    /// </summary>
    public static Uri Next(IList<Uri> baseUrls, Uri? current)
    {
        var text = current?.GetLeftPart(UriPartial.Path);
        for (var i = 0; text is not null && i < baseUrls.Count; i++)
        {
            var prefix = Prefix(baseUrls[i]);
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Under(baseUrls[(i + 1) % baseUrls.Count], text[prefix.Length..]);
            }
        }

        return Generations(baseUrls[0]);
    }

    private static Uri Under(Uri baseUrl, string path) => new(Prefix(baseUrl) + path, UriKind.Absolute);

    private static string Prefix(Uri baseUrl)
    {
        var text = baseUrl.GetLeftPart(UriPartial.Path);
        return text.EndsWith('/') ? text : text + "/";
    }
}
