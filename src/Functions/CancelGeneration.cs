using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions;

/// <summary>
/// <c>POST /api/generations/{id}/cancel</c>: ends the job cancelled. 200 with the job when it ended now, 202 when the
/// delivery running it stops before its next image, 409 when it had already ended, 404 for an unknown id.
/// </summary>
public sealed class CancelGeneration
{
    private readonly JobLookup _jobs;
    private readonly GenerationRunner _runner;
    private readonly JobViewFactory _views;

    public CancelGeneration(JobLookup jobs, GenerationRunner runner, JobViewFactory views)
    {
        _jobs = jobs;
        _runner = runner;
        _views = views;
    }

    [Function(nameof(CancelGeneration))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "generations/{id}/cancel")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        var result = await _runner.CancelAsync(stored, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == CancelOutcome.AlreadyEnded)
        {
            return HttpResults.Problem(StatusCodes.Status409Conflict, "Generation already ended",
                $"Generation '{id}' ended {JobStatusNames.NameOf(result.Job.Status)} before the cancel; nothing was changed.");
        }

        var view = await _views.CreateAsync(result.Job, cancellationToken).ConfigureAwait(false);
        return HttpResults.Json(result.Outcome == CancelOutcome.Cancelled ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, view);
    }
}
