using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Pacing;
using Seedream.Functions.Processing;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Processing;

/// <summary>
/// Messages of <c>generation-requests</c> and its poison queue, as bytes: references to jobs created over HTTP
/// (<c>{"id","traceparent"}</c>) run; producers' requests go through the intake and become a job or a failed job; a
/// message whose id already belongs to a different request is dead-lettered. The poison path never throws for a
/// message's content (a trigger on a poison queue has no poison queue of its own): what it cannot end is dead-lettered.
/// It lives with the runner because every delivery ends in <see cref="GenerationRunner.RunAsync(string, GenerationPriority, CancellationToken)"/>
/// or <see cref="GenerationRunner.AbandonAsync"/>; a producer's request only passes through the intake on the way.
/// </summary>
public sealed class GenerationRequestConsumer
{
    public const string IdConflictCode = "IdConflict";
    public const string HandlerFailedCode = "HandlerFailed";

    private readonly SubmissionService _submissions;
    private readonly GenerationRunner _runner;
    private readonly DeadLetters _deadLetters;
    private readonly string _queue;
    private readonly ILogger<GenerationRequestConsumer> _logger;

    public GenerationRequestConsumer(SubmissionService submissions, GenerationRunner runner, DeadLetters deadLetters, IOptions<PipelineStorageOptions> names, ILogger<GenerationRequestConsumer> logger)
    {
        _submissions = submissions;
        _runner = runner;
        _deadLetters = deadLetters;
        _queue = names.Value.GenerationRequestsQueue;
        _logger = logger;
    }

    public Task HandleAsync(QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message, GenerationPriority.Interactive, cancellationToken);

    /// <param name="priority">The pacer's priority for the message's job: <see cref="GenerationPriority.Bulk"/> for a batch's jobs.</param>
    public async Task HandleAsync(QueueMessage message, GenerationPriority priority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Body?.ToMemory() ?? ReadOnlyMemory<byte>.Empty;
        if (JobReferenceMessage.TryParse(body, out var reference) && await _runner.RunAsync(reference.Id, priority, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // A producer's request; a bare {"id"} naming no job is one too (an invalid one, so it ends as a failed job).
        var accepted = await _submissions.AcceptQueuedAsync(body, message.InsertedOn, cancellationToken).ConfigureAwait(false);
        if (accepted.JobId is { } jobId)
        {
            await _runner.RunAsync(jobId, priority, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _deadLetters.WriteAsync(DeadLetter.From(_queue, message, IdConflictCode,
            $"The message's id '{LogText.Cut(accepted.ConflictingJobId, 64)}' already belongs to job {accepted.ConflictingJobId} with a different request; this request was not run. Send it with a new id."), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A message that exhausted its retries: its job ends now (failed, or partially succeeded with what was stored).</summary>
    public async Task HandlePoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var poisonQueue = _queue + "-poison";
        try
        {
            var body = message.Body?.ToMemory() ?? ReadOnlyMemory<byte>.Empty;
            if (JobReferenceMessage.TryParse(body, out var reference) && await _runner.AbandonAsync(reference.Id, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            // A producer's request may have failed before its job existed: create the job so that it can be ended.
            var accepted = await _submissions.AcceptQueuedAsync(body, cancellationToken).ConfigureAwait(false);
            if (accepted.JobId is { } jobId)
            {
                await _runner.AbandonAsync(jobId, cancellationToken).ConfigureAwait(false);
                return;
            }

            await _deadLetters.WriteAsync(DeadLetter.From(poisonQueue, message, IdConflictCode,
                $"The message's id already belongs to job {accepted.ConflictingJobId} with a different request."), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(e, "Poison message {MessageId} could not be ended as a job; dead-lettering it.", LogText.Cut(message.MessageId, 64));
            // If this write fails too, storage is down: the exception lets the host retry later, which is then right.
            await _deadLetters.WriteAsync(DeadLetter.From(poisonQueue, message, HandlerFailedCode,
                $"The message exhausted its deliveries and its job could not be ended: {LogText.Cut(e.Message, 300)}"), CancellationToken.None).ConfigureAwait(false);
        }
    }
}
