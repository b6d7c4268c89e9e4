using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/generations/{id}/references/{index:int}/thumbnail</c>: a JPEG of at most 480 px of a reference image the
/// request carried inline (<c>data:</c> URI), so the view page shows it without inlining megabytes of base64.
/// References given as URLs have none: the page shows them from their URL.
/// </summary>
public sealed class GetGenerationReferenceThumbnail
{
    private readonly JobLookup _jobs;
    private readonly ThumbnailStore _thumbnails;

    public GetGenerationReferenceThumbnail(JobLookup jobs, ThumbnailStore thumbnails)
    {
        _jobs = jobs;
        _thumbnails = thumbnails;
    }

    [Function(nameof(GetGenerationReferenceThumbnail))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations/{id}/references/{index:int}/thumbnail")] HttpRequest request,
        string id,
        int index,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        var references = InlineReference.All(stored.Job.Request);
        if (index < 0 || index >= references.Count || InlineReference.Decode(references[index]) is not { } image)
        {
            return HttpResults.Problem(StatusCodes.Status404NotFound, "Reference thumbnail not found",
                $"Generation '{id}' has no inline (data: URI) reference image {index}.");
        }

        try
        {
            return await _thumbnails.GetForReferenceAsync(id, index, image, cancellationToken).ConfigureAwait(false) is { } thumbnail
                ? new ImageContentResult(thumbnail.Content, ThumbnailMaker.ContentType, thumbnail.Length)
                : HttpResults.Problem(StatusCodes.Status404NotFound, "Reference thumbnail not found", $"Generation '{id}' has no reference image {index}.");
        }
        catch (ThumbnailException e)
        {
            return HttpResults.Problem(StatusCodes.Status422UnprocessableEntity, "No thumbnail", $"Reference image {index} of generation '{id}': {e.Message}");
        }
    }
}
