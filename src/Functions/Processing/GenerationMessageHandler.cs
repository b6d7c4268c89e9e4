namespace Seedream.Functions;

/// <summary>
/// Handles messages of the <c>generation-requests</c> queue and its poison queue: references to jobs created over HTTP
/// (<c>{"id","traceparent"}</c>) and full requests put there by producers.
/// </summary>
public sealed class GenerationMessageHandler
{
    private readonly SubmissionService _submissions;
    private readonly GenerationRunner _runner;

    public GenerationMessageHandler(SubmissionService submissions, GenerationRunner runner)
    {
        _submissions = submissions;
        _runner = runner;
    }

    public async Task HandleAsync(string message, CancellationToken cancellationToken)
    {
        if (JobReferenceMessage.TryParse(message, out var reference))
        {
            await _runner.RunAsync(reference.Id, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (await _submissions.AcceptQueuedAsync(message, cancellationToken).ConfigureAwait(false) is { } jobId)
        {
            await _runner.RunAsync(jobId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A message that exhausted its retries: its job ends now (failed, or partially succeeded with what was stored).</summary>
    public async Task HandlePoisonAsync(string message, CancellationToken cancellationToken)
    {
        var jobId = JobReferenceMessage.TryParse(message, out var reference)
            ? reference.Id
            // A producer's request may have failed before its job existed; create it first so that it can be ended.
            : await _submissions.AcceptQueuedAsync(message, cancellationToken).ConfigureAwait(false);
        if (jobId is not null)
        {
            await _runner.AbandonAsync(jobId, cancellationToken).ConfigureAwait(false);
        }
    }
}
