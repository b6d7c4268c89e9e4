using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.View;

namespace Seedream.Functions;

/// <summary><c>GET /api/batches/{id}/view</c>: the batch's progress and its jobs' first thumbnails as an HTML page, paged with <c>continuationToken</c>.</summary>
public sealed class ViewBatch
{
    private readonly BatchStore _batches;
    private readonly BatchPage _page;

    public ViewBatch(BatchStore batches, BatchPage page)
    {
        _batches = batches;
        _page = page;
    }

    [Function(nameof(ViewBatch))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}/view")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!BatchJobIds.IsBatchId(id) || await _batches.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return GetBatch.BatchNotFound(id);
        }

        var links = BatchLinks.For(request, trimSegments: 2);
        var generations = links.Batches[..links.Batches.LastIndexOf('/')] + "/generations";
        var token = request.Query["continuationToken"].ToString();
        var html = await _page.RenderAsync(stored.Batch, links, generations, token.Length == 0 ? null : token, cancellationToken).ConfigureAwait(false);
        return new HtmlPageResult(html);
    }
}
