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
        if (JobReferenceMessage.TryParse(message, out var reference) && await _runner.RunAsync(reference.Id, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // A producer's request; a bare {"id"} naming no job is one too (an invalid one, so it ends as a failed job).
        if (await _submissions.AcceptQueuedAsync(message, cancellationToken).ConfigureAwait(false) is { } jobId)
        {
            await _runner.RunAsync(jobId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A message that exhausted its retries: its job ends now (failed, or partially succeeded with what was stored).</summary>
    public async Task HandlePoisonAsync(string message, CancellationToken cancellationToken)
    {
        if (JobReferenceMessage.TryParse(message, out var reference) && await _runner.AbandonAsync(reference.Id, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // A producer's request may have failed before its job existed: create the job so that it can be ended.
        if (await _submissions.AcceptQueuedAsync(message, cancellationToken).ConfigureAwait(false) is { } jobId)
        {
            await _runner.AbandonAsync(jobId, cancellationToken).ConfigureAwait(false);
        }
    }
}
