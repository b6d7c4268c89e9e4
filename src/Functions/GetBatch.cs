using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Http;
using Seedream.Functions.Intake;

namespace Seedream.Functions;

/// <summary><c>GET /api/batches/{id}</c>: the batch, its counts, costs and (once ended) its results files' read URLs.</summary>
public sealed class GetBatch
{
    private readonly BatchStore _batches;
    private readonly BatchViewFactory _views;

    public GetBatch(BatchStore batches, BatchViewFactory views)
    {
        _batches = batches;
        _views = views;
    }

    [Function(nameof(GetBatch))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        if (!BatchJobIds.IsBatchId(id) || await _batches.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return BatchNotFound(id);
        }

        var links = BatchLinks.For(request, trimSegments: 1);
        return HttpResults.Json(StatusCodes.Status200OK, await _views.CreateAsync(stored.Batch, links.Batches, links.KeyQuery, cancellationToken).ConfigureAwait(false));
    }

    internal static IActionResult BatchNotFound(string id) =>
        HttpResults.Problem(StatusCodes.Status404NotFound, "Batch not found", $"There is no batch '{LogText.Cut(id, 64)}'.");
}
