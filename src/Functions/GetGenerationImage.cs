using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions;

/// <summary><c>GET /api/generations/{id}/images/{index:int}</c>: the stored image's bytes, for callers without storage access.</summary>
public sealed class GetGenerationImage
{
    private readonly JobLookup _jobs;
    private readonly ImageStore _images;

    public GetGenerationImage(JobLookup jobs, ImageStore images)
    {
        _jobs = jobs;
        _images = images;
    }

    [Function(nameof(GetGenerationImage))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations/{id}/images/{index:int}")] HttpRequest request,
        string id,
        int index,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        var image = stored.Job.Images.Find(i => i.Index == index);
        if (image is null || await _images.OpenReadAsync(image.BlobName, cancellationToken).ConfigureAwait(false) is not { } download)
        {
            return HttpResults.Problem(StatusCodes.Status404NotFound, "Image not found", $"Generation '{id}' has no stored image {index}.");
        }

        return new ImageContentResult(download.Content, download.Details.ContentType, download.Details.ContentLength);
    }
}
