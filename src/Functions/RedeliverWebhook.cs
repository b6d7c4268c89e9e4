using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Jobs;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions;

/// <summary>
/// <c>POST /api/generations/{id}/webhook/redeliver</c>: queues the job-ended notification to the job's callback again,
/// whatever became of it (same <c>webhook-id</c>, so a receiver that had it already can tell). 202 with the job;
/// 404 for an unknown id; 409 when the job has no callback or has not ended.
/// </summary>
public sealed class RedeliverWebhook
{
    private readonly JobLookup _jobs;
    private readonly WebhookDeliveryStore _log;
    private readonly WebhookQueue _queue;
    private readonly JobViewFactory _views;
    private readonly TimeProvider _time;

    public RedeliverWebhook(JobLookup jobs, WebhookDeliveryStore log, WebhookQueue queue, JobViewFactory views, TimeProvider time)
    {
        _jobs = jobs;
        _log = log;
        _queue = queue;
        _views = views;
        _time = time;
    }

    [Function(nameof(RedeliverWebhook))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "generations/{id}/webhook/redeliver")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        if (await _jobs.FindAsync(id, cancellationToken).ConfigureAwait(false) is not { Job: var job })
        {
            return GenerationProblems.JobNotFound(id);
        }

        if (job.Webhook is null || job.TerminalEvent is not { } terminal)
        {
            return HttpResults.Problem(StatusCodes.Status409Conflict, "Nothing to redeliver",
                job.Webhook is null ? $"Generation '{id}' was submitted without a webhook." : $"Generation '{id}' has not ended yet; its notification is sent when it does.");
        }

        var made = (await _log.GetAsync(job.Id, cancellationToken).ConfigureAwait(false))?.Find(terminal.Id)?.Attempts.Count ?? 0;
        await _queue.EnqueueAsync(new WebhookDeliveryMessage(job.Id, terminal.Id, WebhookEvents.JobEnded, null, made + 1, _time.GetUtcNow(), Redeliver: true), null, cancellationToken).ConfigureAwait(false);
        return HttpResults.Json(StatusCodes.Status202Accepted, await _views.CreateAsync(job, cancellationToken).ConfigureAwait(false));
    }
}
