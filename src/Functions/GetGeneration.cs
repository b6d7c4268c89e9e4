using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;

namespace Seedream.Functions;

/// <summary><c>GET /api/generations/{id}</c>: the job's status, images (with read URLs), failures, usage, cost and error.</summary>
public sealed class GetGeneration
{
    private readonly JobLookup _jobs;
    private readonly JobViewFactory _views;

    public GetGeneration(JobLookup jobs, JobViewFactory views)
    {
        _jobs = jobs;
        _views = views;
    }

    [Function(nameof(GetGeneration))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        return HttpResults.Json(StatusCodes.Status200OK, await _views.CreateAsync(stored.Job, cancellationToken).ConfigureAwait(false));
    }
}

internal static class GenerationProblems
{
    public static IActionResult JobNotFound(string id) =>
        HttpResults.Problem(StatusCodes.Status404NotFound, "Generation not found", $"There is no generation job '{id}'.");
}
