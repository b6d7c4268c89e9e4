namespace Seedream.Http;

/// <summary>Builds the generation endpoint from a base URL and moves a request to the next base URL.</summary>
internal static class SeedreamEndpoints
{
    private const string GenerationsPath = "images/generations";

    /// <summary><c>…/v1</c> or <c>…/api/v3</c>, with or without trailing slash, plus <c>/images/generations</c>.</summary>
    public static Uri Generations(Uri baseUrl)
    {
        var text = baseUrl.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text + GenerationsPath : text + "/" + GenerationsPath, UriKind.Absolute);
    }

    /// <summary>The generation endpoint of the base URL after the one <paramref name="current"/> belongs to (wrapping around).</summary>
    public static Uri Next(IList<Uri> baseUrls, Uri? current)
    {
        var index = -1;
        for (var i = 0; i < baseUrls.Count; i++)
        {
            if (Generations(baseUrls[i]) == current)
            {
                index = i;
                break;
            }
        }

        return Generations(baseUrls[(index + 1) % baseUrls.Count]);
    }
}
