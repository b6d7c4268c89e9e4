using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/generations/{id}/images/{index:int}/thumbnail</c>: a JPEG of at most 480 px for the view page, made on the
/// first request and stored beside the image.
/// </summary>
public sealed class GetGenerationThumbnail
{
    private readonly JobLookup _jobs;
    private readonly ThumbnailStore _thumbnails;

    public GetGenerationThumbnail(JobLookup jobs, ThumbnailStore thumbnails)
    {
        _jobs = jobs;
        _thumbnails = thumbnails;
    }

    [Function(nameof(GetGenerationThumbnail))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations/{id}/images/{index:int}/thumbnail")] HttpRequest request,
        string id,
        int index,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        var image = stored.Job.Images.Find(i => i.Index == index);
        try
        {
            if (image is null || await _thumbnails.GetForImageAsync(image.BlobName, cancellationToken).ConfigureAwait(false) is not { } thumbnail)
            {
                return HttpResults.Problem(StatusCodes.Status404NotFound, "Image not found", $"Generation '{id}' has no stored image {index}.");
            }

            return new ImageContentResult(thumbnail.Content, ThumbnailMaker.ContentType, thumbnail.Length);
        }
        catch (ThumbnailException e)
        {
            return HttpResults.Problem(StatusCodes.Status422UnprocessableEntity, "No thumbnail", $"Image {index} of generation '{id}': {e.Message}");
        }
    }
}
