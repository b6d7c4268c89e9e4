using System.Globalization;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.Http;

namespace Seedream.Functions;

/// <summary><c>POST /api/batches</c>: a JSONL body in the OpenAI batch request format; 202 with the batch (<c>validating</c>) and its status URL.</summary>
public sealed class SubmitBatch
{
    private readonly BatchSubmissionService _submissions;
    private readonly BatchViewFactory _views;

    public SubmitBatch(BatchSubmissionService submissions, BatchViewFactory views)
    {
        _submissions = submissions;
        _views = views;
    }

    [Function(nameof(SubmitBatch))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        BatchSubmission result;
        try
        {
            result = await _submissions.SubmitAsync(request, PipelineTelemetry.CurrentOrNewTraceParent(request.Headers["traceparent"].FirstOrDefault()), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return HttpResults.Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                $"The batch could not be staged ({e.ErrorCode ?? e.Status.ToString(CultureInfo.InvariantCulture)}); nothing was submitted. Retry.");
        }

        if (result.TooLarge)
        {
            return HttpResults.Problem(StatusCodes.Status413PayloadTooLarge, "Batch input too large",
                $"A batch input is limited to {_submissions.MaxInputBytes} bytes; split it into several batches.");
        }

        if (result.Batch is not { } batch)
        {
            return HttpResults.ValidationProblem(result.Errors!, "Invalid batch request", "See errors for each parameter at fault.");
        }

        var links = BatchLinks.For(request, trimSegments: 0);
        var view = await _views.CreateAsync(batch, links.Batches, links.KeyQuery, cancellationToken).ConfigureAwait(false);
        return HttpResults.Accepted(view.StatusUrl!, view);
    }
}
