using Microsoft.AspNetCore.Http;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.View;

/// <summary>
/// Where the view page links its images: the <c>images/{index}</c> endpoint beside the page. Unlike read URLs (signed
/// anew on every request) these stay the same across the page's refreshes, so the browser keeps its cached images.
/// </summary>
internal sealed class JobViewLinks
{
    private readonly string _generationPath;
    private readonly string _query;

    private JobViewLinks(string generationPath, string query)
    {
        _generationPath = generationPath;
        _query = query;
    }

    /// <summary>Links relative to the page's own path (<c>…/generations/{id}/view</c>), whatever the route prefix.</summary>
    public static JobViewLinks For(HttpRequest request)
    {
        var pagePath = (request.PathBase + request.Path).ToUriComponent().TrimEnd('/');
        var generationPath = pagePath[..Math.Max(pagePath.LastIndexOf('/'), 0)];

        // A browser opens the page with its function key in the query; the image requests need it too.
        var functionKey = request.Query["code"].ToString();
        var query = functionKey.Length == 0 ? string.Empty : "?code=" + Uri.EscapeDataString(functionKey);
        return new JobViewLinks(generationPath, query);
    }

    public string Image(int index) => $"{_generationPath}/images/{Number(index)}{_query}";

    /// <summary>The image's stored 480 px JPEG (<c>GetGenerationThumbnail</c>).</summary>
    public string Thumbnail(int index) => $"{_generationPath}/images/{Number(index)}/thumbnail{_query}";

    /// <summary>An inline reference image's 480 px JPEG (<c>GetGenerationReferenceThumbnail</c>).</summary>
    public string ReferenceThumbnail(int index) => $"{_generationPath}/references/{Number(index)}/thumbnail{_query}";

    /// <summary>The status API (<c>GET /api/generations/{id}</c>): the whole request, prompt included.</summary>
    public string Status => _generationPath + _query;

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
