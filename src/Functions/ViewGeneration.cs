using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Jobs;
using Seedream.Functions.View;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/generations/{id}/view</c>: the job as a self-contained HTML page (status, prompt, image thumbnails,
/// failures, usage, cost, error) that refreshes itself until the job ends.
/// </summary>
public sealed class ViewGeneration
{
    private readonly JobLookup _jobs;
    private readonly JobViewFactory _views;

    public ViewGeneration(JobLookup jobs, JobViewFactory views)
    {
        _jobs = jobs;
        _views = views;
    }

    [Function(nameof(ViewGeneration))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "generations/{id}/view")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        // A missing job is the 404 problem of every job route (HttpFailures).
        var stored = await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false);

        var view = await _views.CreateAsync(stored.Job, cancellationToken).ConfigureAwait(false);
        return new HtmlPageResult(JobViewPage.Render(view, JobViewLinks.For(request)));
    }
}
