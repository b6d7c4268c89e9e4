using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Landing;
using Seedream.Functions.Listing;
using Seedream.Functions.View;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/</c> (and <c>/api</c>, <c>/api/index.html</c>): where to start. An HTML index, or JSON for
/// <c>Accept: application/json</c>: the OpenAPI document, the models, the listing and the most recent jobs.
/// </summary>
public sealed class GetLandingPage
{
    /// <summary>
    /// The Functions host joins the route prefix and the route with a '/', and an empty route means "the function's
    /// name", so the prefix itself is reached with an optional last segment that may only be <c>index.html</c>.
    /// The constraint keeps it from matching any other segment, so the literal routes beside it (<c>generations</c>,
    /// <c>openapi.json</c>) are reached under any router, including the real host's first-match one.
    /// </summary>
    public const string Route = "{document:regex(^index\\.html$)?}";

    public const int RecentJobs = 10;

    private readonly JobLister _lister;

    public GetLandingPage(JobLister lister) => _lister = lister;

    [Function(nameof(GetLandingPage))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var recent = await _lister.ListAsync(new JobListQuery([], null, RecentJobs, null), cancellationToken).ConfigureAwait(false);
        var index = LandingIndex.Create(request, recent.Items);
        return LandingIndex.WantsJson(request)
            ? HttpResults.Json(StatusCodes.Status200OK, index)
            : new HtmlPageResult(LandingPageRenderer.Render(index));
    }
}
