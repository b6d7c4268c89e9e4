using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Listing;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/generations?status=…&amp;createdAfter=…&amp;pageSize=…&amp;continuationToken=…</c>: job summaries, newest
/// first, a page at a time; <c>nextLink</c> repeats the query with the next page's token.
/// </summary>
public sealed class ListGenerations
{
    private readonly ListingRequestParser _parser;
    private readonly JobLister _lister;

    public ListGenerations(ListingRequestParser parser, JobLister lister)
    {
        _parser = parser;
        _lister = lister;
    }

    [Function(nameof(ListGenerations))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var parsed = _parser.Parse(request.Query);
        if (parsed.Query is not { } query)
        {
            return HttpResults.ValidationProblem(parsed.Errors ?? new Dictionary<string, string[]>(), "Invalid listing query", "See errors for each query parameter at fault.");
        }

        var page = await _lister.ListAsync(query, cancellationToken).ConfigureAwait(false);
        var links = ListingLinks.For(request);
        return HttpResults.Json(StatusCodes.Status200OK, new JobListView(
            [.. page.Items.Select(links.Item)],
            page.ContinuationToken,
            page.ContinuationToken is { } token ? links.NextPage(token) : null));
    }
}
