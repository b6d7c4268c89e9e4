using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;

namespace Seedream.Functions;

/// <summary>A listed batch.</summary>
public sealed record BatchListItem(string Id, BatchStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, BatchRequestCounts RequestCounts, JobCost? Cost, string StatusUrl, string ViewUrl);

/// <summary>The batch listing's body.</summary>
public sealed record BatchListView(IReadOnlyList<BatchListItem> Items, string? ContinuationToken, string? NextLink);

/// <summary><c>GET /api/batches?pageSize=…&amp;continuationToken=…</c>: batches newest first, a page at a time, like the job listing.</summary>
public sealed class ListBatches
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private readonly BatchStore _batches;

    public ListBatches(BatchStore batches) => _batches = batches;

    [Function(nameof(ListBatches))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pageSize = DefaultPageSize;
        var pageSizeText = request.Query["pageSize"].ToString();
        if (pageSizeText.Length > 0 && (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return HttpResults.ValidationProblem(new Dictionary<string, string[]> { ["pageSize"] = [$"pageSize must be a whole number from 1 to {MaxPageSize}."] },
                "Invalid listing query", "See errors for each query parameter at fault.");
        }

        var token = request.Query["continuationToken"].ToString();
        var (ids, next) = await _batches.ListAsync(pageSize, token.Length == 0 ? null : token, cancellationToken).ConfigureAwait(false);
        var links = BatchLinks.For(request, trimSegments: 0);
        var records = await Task.WhenAll(ids.Select(id => _batches.GetAsync(id, cancellationToken))).ConfigureAwait(false);
        var items = records.OfType<StoredBatch>().Select(s => s.Batch).Select(b => new BatchListItem(
            b.Id, b.Status, b.CreatedAt, b.FinishedAt, BatchRequestCounts.From(b.Tally), b.Cost ?? b.EstimatedCost,
            $"{links.Batches}/{b.Id}{links.KeyQuery}", $"{links.Batches}/{b.Id}/view{links.KeyQuery}")).ToList();
        var nextLink = next is null ? null : QueryHelpers.AddQueryString(links.Batches, new Dictionary<string, string?>
        {
            ["pageSize"] = pageSize.ToString(CultureInfo.InvariantCulture),
            ["continuationToken"] = next,
            ["code"] = request.Query["code"].ToString() is { Length: > 0 } key ? key : null,
        }.Where(e => e.Value is not null));
        return HttpResults.Json(StatusCodes.Status200OK, new BatchListView(items, next, nextLink));
    }
}
