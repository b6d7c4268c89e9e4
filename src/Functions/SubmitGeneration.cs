using System.Globalization;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.Functions;

/// <summary><c>POST /api/generations</c>: a Seedream request body plus optional <c>metadata</c>; 202 with the job's status URL.</summary>
public sealed class SubmitGeneration
{
    private const int MaxIdempotencyKeyLength = 256;

    private readonly RequestBodyReader _bodies;
    private readonly SubmissionService _submissions;

    public SubmitGeneration(RequestBodyReader bodies, SubmissionService submissions)
    {
        _bodies = bodies;
        _submissions = submissions;
    }

    [Function(nameof(SubmitGeneration))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "generations")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var idempotencyKey = request.Headers["Idempotency-Key"].FirstOrDefault();
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            return JsonResponseResult.Problem(StatusCodes.Status400BadRequest, "Invalid Idempotency-Key",
                $"The Idempotency-Key header must hold 1 to {MaxIdempotencyKeyLength} characters.",
                new Dictionary<string, string[]> { ["Idempotency-Key"] = ["The key is empty or too long."] });
        }

        if (await _bodies.ReadAsync(request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return JsonResponseResult.Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"Submissions are limited to {_bodies.MaxBytes} bytes; pass large reference images by URL.");
        }

        var traceParent = PipelineTelemetry.CurrentOrNewTraceParent(request.Headers["traceparent"].FirstOrDefault());
        SubmissionResult result;
        try
        {
            result = await _submissions.SubmitAsync(body, idempotencyKey, traceParent, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            var unavailable = JsonResponseResult.Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                $"The job could not be stored or enqueued ({e.ErrorCode ?? e.Status.ToString(CultureInfo.InvariantCulture)}); nothing was submitted. Retry, with the same Idempotency-Key if you sent one.");
            unavailable.Headers["Retry-After"] = "5";
            return unavailable;
        }

        switch (result.Outcome)
        {
            case SubmissionOutcome.Invalid:
                return JsonResponseResult.Problem(StatusCodes.Status400BadRequest, "Invalid generation request",
                    "The request cannot succeed with Seedream; see errors for each field at fault.", result.Errors);
            case SubmissionOutcome.IdempotencyConflict:
                return JsonResponseResult.Problem(StatusCodes.Status409Conflict, "Idempotency key reused",
                    "This Idempotency-Key was used with a different request body.");
            default:
                var job = result.Job!;
                var statusUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path.Value!.TrimEnd('/')}/{job.Id}";
                var accepted = new JsonResponseResult(StatusCodes.Status202Accepted, new SubmissionAccepted(job.Id, job.Status, statusUrl));
                accepted.Headers["Location"] = statusUrl;
                return accepted;
        }
    }

    private sealed record SubmissionAccepted(string Id, JobStatus Status, string StatusUrl);
}
