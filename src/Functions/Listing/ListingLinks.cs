using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Listing;

/// <summary>A listed job as the API shows it: its summary and where to find it.</summary>
public sealed record JobListItem(string Id, JobStatus Status, DateTimeOffset CreatedAt, string? Model, int ImageCount, JobCost? Cost, string StatusUrl, string ViewUrl);

/// <summary>The listing's body.</summary>
public sealed record JobListView(IReadOnlyList<JobListItem> Items, string? ContinuationToken, string? NextLink);

/// <summary>Absolute links from the listing's own URL (<c>…/generations</c>), whatever the route prefix; the function key travels along.</summary>
internal sealed class ListingLinks
{
    private readonly string _generations;
    private readonly IQueryCollection _query;
    private readonly string _keyQuery;

    private ListingLinks(string generations, IQueryCollection query, string keyQuery)
    {
        _generations = generations;
        _query = query;
        _keyQuery = keyQuery;
    }

    /// <param name="generationsPath">The path of the generations collection, when the request is not the listing itself.</param>
    public static ListingLinks For(HttpRequest request, string? generationsPath = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = generationsPath ?? (request.PathBase + request.Path).ToUriComponent().TrimEnd('/');
        var functionKey = request.Query["code"].ToString();
        var keyQuery = functionKey.Length == 0 ? string.Empty : "?code=" + Uri.EscapeDataString(functionKey);
        return new ListingLinks(RequestBaseUrl.Of(request) + path, request.Query, keyQuery);
    }

    public JobListItem Item(JobSummary summary) => new(
        summary.Id, summary.Status, summary.CreatedAt, summary.Model, summary.ImageCount, summary.Cost,
        $"{_generations}/{Uri.EscapeDataString(summary.Id)}{_keyQuery}",
        $"{_generations}/{Uri.EscapeDataString(summary.Id)}/view{_keyQuery}");

    /// <summary>The same query (filters, page size, function key) with the next page's token.</summary>
    public string NextPage(string continuationToken)
    {
        var parameters = _query
            .Where(parameter => parameter.Key != "continuationToken")
            .SelectMany(parameter => parameter.Value.Select(value => new KeyValuePair<string, StringValues>(parameter.Key, value)))
            .Append(new KeyValuePair<string, StringValues>("continuationToken", continuationToken));
        return QueryHelpers.AddQueryString(_generations, parameters);
    }
}
