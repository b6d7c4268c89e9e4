using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Seedream.Functions.Http;
using Seedream.Functions.Listing;
using Seedream.Functions.View;

namespace Seedream.Functions.Landing;

/// <summary>What the landing page shows, also its JSON form: absolute links to the API's documents and the recent jobs.</summary>
public sealed record LandingIndex(string Title, string OpenApi, string Models, string Generations, string RecentJobsPage, IReadOnlyList<JobListItem> RecentJobs)
{
    public static LandingIndex Create(HttpRequest request, IReadOnlyList<JobSummary> recent)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The page's path is the route prefix (…/api, …/api/ or …/api/index.html); every other route sits below it.
        var path = (request.PathBase + request.Path).ToUriComponent();
        if (path.EndsWith("/index.html", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^"/index.html".Length];
        }

        var apiPath = path.TrimEnd('/');
        var baseUrl = RequestBaseUrl.Of(request) + apiPath;
        var functionKey = request.Query["code"].ToString();
        var keyQuery = functionKey.Length == 0 ? string.Empty : "?code=" + Uri.EscapeDataString(functionKey);
        var links = ListingLinks.For(request, apiPath + "/generations");
        return new LandingIndex(
            "Seedream image pipeline",
            $"{baseUrl}/openapi.json",
            $"{baseUrl}/models{keyQuery}",
            $"{baseUrl}/generations{keyQuery}",
            $"{baseUrl}/{ViewRecentGenerations.Route}{keyQuery}",
            [.. recent.Select(links.Item)]);
    }

    /// <summary>JSON when the caller asks for JSON and not for HTML (a browser's Accept always names text/html).</summary>
    public static bool WantsJson(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        var json = accepted.Any(type => type.Quality != 0 && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)));
        var html = accepted.Any(type => type.Quality != 0 && type.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
        return json && !html;
    }
}
