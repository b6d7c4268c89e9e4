using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Listing;
using Seedream.Functions.View;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/view/generations?status=…&amp;createdAfter=…&amp;pageSize=…&amp;continuationToken=…</c>: the recent jobs
/// as an HTML page (the listing's query and pages), each with its first image's thumbnail and a link to its view.
/// </summary>
public sealed class ViewRecentGenerations
{
    /// <summary>
    /// Under its own prefix: beside <c>generations/{id}</c> a literal <c>generations/view</c> is shadowed by the real
    /// Functions host, whose router takes the first registered route that matches.
    /// </summary>
    public const string Route = "view/generations";

    private readonly ListingRequestParser _parser;
    private readonly JobLister _lister;

    public ViewRecentGenerations(ListingRequestParser parser, JobLister lister)
    {
        _parser = parser;
        _lister = lister;
    }

    [Function(nameof(ViewRecentGenerations))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var parsed = _parser.Parse(request.Query);
        if (parsed.Query is not { } query)
        {
            return HttpResults.ValidationProblem(parsed.Errors ?? new Dictionary<string, string[]>(), "Invalid listing query", "See errors for each query parameter at fault.");
        }

        var page = await _lister.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var pagePath = (request.PathBase + request.Path).ToUriComponent().TrimEnd('/');
        var apiPath = pagePath.EndsWith("/" + Route, StringComparison.OrdinalIgnoreCase) ? pagePath[..^(Route.Length + 1)] : pagePath;
        var generationsPath = apiPath + "/generations";
        var links = ListingLinks.For(request, generationsPath);
        var pageLinks = ListingLinks.For(request, pagePath);
        var functionKey = request.Query["code"].ToString();
        return new HtmlPageResult(RecentJobsPage.Render(
            [.. page.Items.Select(links.Item)],
            page.ContinuationToken is { } token ? pageLinks.NextPage(token) : null,
            generationsPath + request.QueryString.ToUriComponent(),
            functionKey.Length == 0 ? string.Empty : "?code=" + Uri.EscapeDataString(functionKey)));
    }
}
