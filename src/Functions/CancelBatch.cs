using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Http;

namespace Seedream.Functions;

/// <summary>
/// <c>POST /api/batches/{id}/cancel</c>: 202 with the batch (<c>cancelling</c>, or <c>cancelled</c> once it has ended):
/// jobs not yet sent are cancelled unpaid, running ones stop before their next image. 409 when the batch had finished.
/// </summary>
public sealed class CancelBatch
{
    private readonly BatchCancellation _cancellation;
    private readonly BatchViewFactory _views;

    public CancelBatch(BatchCancellation cancellation, BatchViewFactory views)
    {
        _cancellation = cancellation;
        _views = views;
    }

    [Function(nameof(CancelBatch))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        if (!BatchJobIds.IsBatchId(id))
        {
            return GetBatch.BatchNotFound(id);
        }

        var (outcome, batch) = await _cancellation.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case BatchCancelOutcome.NotFound:
                return GetBatch.BatchNotFound(id);
            case BatchCancelOutcome.AlreadyFinished:
                return HttpResults.Problem(StatusCodes.Status409Conflict, "Batch already ended",
                    $"Batch '{id}' ended {BatchStatusNames.NameOf(batch!.Status)} before the cancel; nothing was changed.");
            default:
                var links = BatchLinks.For(request, trimSegments: 2);
                return HttpResults.Json(StatusCodes.Status202Accepted, await _views.CreateAsync(batch!, links.Batches, links.KeyQuery, cancellationToken).ConfigureAwait(false));
        }
    }
}
