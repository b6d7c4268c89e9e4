using System.Globalization;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Configuration;
using Seedream.Functions.Http;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions;

/// <summary><c>POST /api/generations</c>: a Seedream request body plus optional <c>metadata</c> and <c>deadline</c>; 202 with the job's status URL.</summary>
public sealed class SubmitGeneration
{
    private const int MaxIdempotencyKeyLength = 256;

    private readonly RequestBodyReader _bodies;
    private readonly SubmissionService _submissions;
    private readonly InboundWebhookVerifier? _inbound;
    private readonly ILogger<SubmitGeneration> _logger;

    public SubmitGeneration(RequestBodyReader bodies, SubmissionService submissions, ILogger<SubmitGeneration> logger, InboundWebhookVerifier? inbound = null)
    {
        _inbound = inbound;
        _bodies = bodies;
        _submissions = submissions;
        _logger = logger;
    }

    [Function(nameof(SubmitGeneration))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "generations")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var idempotencyKey = request.Headers["Idempotency-Key"].FirstOrDefault();
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            return Refuse(new Dictionary<string, string[]> { ["Idempotency-Key"] = [$"The Idempotency-Key header must hold 1 to {MaxIdempotencyKeyLength} characters."] });
        }

        // Two deadlines from one caller is a mistake, not a choice for us to make silently.
        var cancelAfter = request.Headers[DeadlineRules.CancelAfterHeader];
        if (cancelAfter.Count > 1)
        {
            return Refuse(new Dictionary<string, string[]> { [DeadlineRules.CancelAfterHeader] = [$"Send the Cancel-After header once; got {cancelAfter.Count.ToString(CultureInfo.InvariantCulture)}."] });
        }

        if (await _bodies.ReadAsync(request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            _logger.LogInformation("Submission refused: body over {MaxBytes} bytes (413).", _bodies.MaxBytes);
            return HttpResults.Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"Submissions are limited to {_bodies.MaxBytes} bytes; pass large reference images by URL.");
        }

        // Webhook senders: nothing is done with an unsigned or badly signed body; the sender's webhook-id keys its retries.
        var inbound = _inbound?.Check(request.Headers, body.Span) ?? new InboundWebhookCheck(true, null, null);
        if (!inbound.Passed)
        {
            _logger.LogInformation("Submission refused (401): {Problem}", inbound.Problem);
            return HttpResults.Problem(StatusCodes.Status401Unauthorized, "Webhook signature not verified", inbound.Problem!);
        }

        idempotencyKey ??= inbound.WebhookId is { } webhookId ? $"webhook-id:{webhookId}" : null;
        var traceParent = PipelineTelemetry.CurrentOrNewTraceParent(request.Headers["traceparent"].FirstOrDefault());
        SubmissionResult result;
        try
        {
            result = await _submissions.SubmitAsync(body, idempotencyKey, traceParent, new IntakeContext { CancelAfter = cancelAfter.FirstOrDefault() }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return HttpResults.Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                $"The job could not be stored or enqueued ({e.ErrorCode ?? e.Status.ToString(CultureInfo.InvariantCulture)}); nothing was submitted. Retry, with the same Idempotency-Key if you sent one.");
        }

        switch (result.Outcome)
        {
            case SubmissionOutcome.Invalid:
                return Refuse(result.Errors!);
            case SubmissionOutcome.IdempotencyConflict:
                _logger.LogInformation("Submission refused: Idempotency-Key reused with a different body (409).");
                return HttpResults.Problem(StatusCodes.Status409Conflict, "Idempotency key reused", "This Idempotency-Key was used with a different request body.");
            default:
                var job = result.Job!;
                // The job's first step line, with its id: the Functions host's own "Executed" line does not name the job.
                _logger.LogInformation("Job {JobId} accepted ({Status}).", job.Id, JobStatusNames.NameOf(job.Status));
                var statusUrl = $"{RequestBaseUrl.Of(request)}{(request.PathBase + request.Path).ToUriComponent().TrimEnd('/')}/{job.Id}";
                return HttpResults.Accepted(statusUrl, new SubmissionAccepted(job.Id, job.Status, statusUrl));
        }
    }

    private IActionResult Refuse(IReadOnlyDictionary<string, string[]> errors)
    {
        _logger.LogInformation("Submission refused (400): {Problems}", LogText.Cut(string.Join("; ", errors.Select(e => $"{LogText.Cut(e.Key, 48)}: {string.Join(" ", e.Value)}")), 512));
        return HttpResults.ValidationProblem(errors, "Invalid generation request", "The request cannot succeed with Seedream; see errors for each field at fault.");
    }

    private sealed record SubmissionAccepted(string Id, JobStatus Status, string StatusUrl);
}
