using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Drops;

/// <summary>
/// Turns BlobCreated events of the inbox into jobs of the pipeline: the same job record, queue path, status API,
/// images and terminal event as an HTTP submission. The job id derives from the blob's identity, so duplicate events
/// find the job instead of creating another one; a bad drop becomes a failed job at once and is never retried.
/// </summary>
public sealed class DropService
{
    public const string JobSource = "drop";
    public const string DropNotAcceptedCode = "DropNotAccepted";
    public const string NotAnEventCode = "NotAnEvent";
    private const string CreateFileApi = "CreateFile";
    private const int MaxReadAttempts = 3;

    private readonly DropRequestBuilder _builder;
    private readonly InboxStore _inbox;
    private readonly JobStore _jobs;
    private readonly GenerationQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<DropService> _logger;
    private readonly DeadLetters _deadLetters;
    private readonly BatchDropService _batchDrops;
    private readonly string _inboxContainer;
    private readonly string _eventsQueue;
    private readonly string _referencesFolder;

    public DropService(
        DropRequestBuilder builder, InboxStore inbox, JobStore jobs, GenerationQueue queue, DeadLetters deadLetters, IOptions<DropStorageOptions> names, IOptions<DropOptions> options,
        TimeProvider time, ILogger<DropService> logger, BatchDropService batchDrops)
    {
        _batchDrops = batchDrops;
        _deadLetters = deadLetters;
        _eventsQueue = names.Value.InboxEventsQueue;
        _referencesFolder = options.Value.ReferencesFolder;
        _builder = builder;
        _inbox = inbox;
        _jobs = jobs;
        _queue = queue;
        _time = time;
        _logger = logger;
        _inboxContainer = names.Value.InboxContainer;
    }

    /// <summary>
    /// Handles one message of the event queue. Failures of storage propagate, so the queue retries the message; a message
    /// that is no BlobCreated event (or one without its blob) is dead-lettered at once, as retrying cannot fix it.
    /// </summary>
    public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (await ParseOrDeadLetterAsync(message, _eventsQueue, cancellationToken).ConfigureAwait(false) is not { } notices)
        {
            return;
        }

        foreach (var notice in notices)
        {
            if (IsForInbox(notice) && BatchDropService.IsBatchFile(notice.BlobName))
            {
                await _batchDrops.AcceptAsync(notice.Source, _eventsQueue, message, cancellationToken).ConfigureAwait(false);
            }
            else if (IsForInbox(notice))
            {
                await AcceptAsync(notice, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A message whose every delivery failed: its drop ends as a failed job (with its Failed event) unless a job exists
    /// already. Never throws for the message's content (a poison queue has no poison queue of its own): what cannot
    /// end as a job is dead-lettered.
    /// </summary>
    public async Task HandlePoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var poisonQueue = _eventsQueue + "-poison";
        try
        {
            if (await ParseOrDeadLetterAsync(message, poisonQueue, cancellationToken).ConfigureAwait(false) is not { } notices)
            {
                return;
            }

            foreach (var notice in notices)
            {
                if (!IsForInbox(notice))
                {
                    continue;
                }

                var source = notice.Source;
                if (BatchDropService.IsBatchFile(source.Name))
                {
                    await _batchDrops.AcceptPoisonAsync(source, poisonQueue, message, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var jobId = source.JobId();
                if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
                {
                    await ContinueExistingAsync(existing.Job, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var error = new JobError(DropNotAcceptedCode,
                    $"The drop '{LogText.Cut(source.Name, 128)}' could not be read on any delivery of its BlobCreated event (storage errors); drop the file again. See the function logs of event {LogText.Cut(notice.EventId, 64)}.");
                await CreateAsync(NewJob(jobId, source, null, error), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(e, "Poison inbox event {MessageId} could not be ended as a drop job; dead-lettering it.", LogText.Cut(message.MessageId, 64));
            // If this write fails too, storage is down: the exception lets the host retry later, which is then right.
            await _deadLetters.WriteAsync(DeadLetter.From(poisonQueue, message, GenerationRequestConsumer.HandlerFailedCode,
                $"The event exhausted its deliveries and its drop could not be ended as a job: {LogText.Cut(e.Message, 300)}"), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task AcceptAsync(BlobCreatedNotice notice, CancellationToken cancellationToken)
    {
        var source = notice.Source;
        var jobId = source.JobId();
        if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            _logger.LogInformation("BlobCreated event {EventId} for '{Blob}' repeats drop job {JobId}; no new job.", notice.EventId, source.Name, jobId);
            await ContinueExistingAsync(existing.Job, cancellationToken).ConfigureAwait(false);
            return;
        }

        DropSubmission drop;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                drop = await _builder.BuildAsync(source, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < MaxReadAttempts)
            {
                // The blob changed while it was read, typically marked by a concurrent delivery that created the job.
                if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } created)
                {
                    await ContinueExistingAsync(created.Job, cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }

        if (drop.Error is { } error)
        {
            _logger.LogInformation("Drop '{Blob}' refused ({Code}): {Message}", LogText.Cut(source.Name, 128), error.Code, LogText.Cut(error.Message, 512));
        }

        await CreateAsync(NewJob(jobId, source, drop, drop.Error), cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        if (await _jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false) is null)
        {
            // A concurrent delivery of the same event created it first.
            if (await _jobs.GetAsync(job.Id, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                await ContinueExistingAsync(existing.Job, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await MarkAsync(job, cancellationToken).ConfigureAwait(false);
        // A failed job goes the same way: the runner publishes its Failed event, which marks the blob with the outcome.
        await _queue.EnqueueAsync(job.Id, job.TraceParent, delay: null, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Drop '{Blob}' became job {JobId} ({Status}).", LogText.Cut(job.SourceBlob!.Name, 128), job.Id, job.Status);
    }

    /// <summary>A job still queued may have lost its queue message to a crash right after it was created: enqueue it again (a duplicate is harmless).</summary>
    private async Task ContinueExistingAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        if (job.Status == JobStatus.Queued || (job.IsTerminal && job.TerminalEvent is { PublishedAt: null }))
        {
            await MarkAsync(job, cancellationToken).ConfigureAwait(false);
            await _queue.EnqueueAsync(job.Id, job.TraceParent, delay: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task MarkAsync(GenerationJob job, CancellationToken cancellationToken) =>
        _inbox.MarkAsync(job.SourceBlob!.Name, job.Id, DropMarks.For(job), cancellationToken);

    private async Task<IReadOnlyList<BlobCreatedNotice>?> ParseOrDeadLetterAsync(QueueMessage message, string queue, CancellationToken cancellationToken)
    {
        try
        {
            return BlobCreatedNotice.Parse(message.Body ?? BinaryData.Empty);
        }
        catch (FormatException e)
        {
            // Retrying cannot make it an event, and nothing names a blob to fail: the message itself is the trace.
            _logger.LogInformation("Inbox event message {MessageId} refused: {Reason}", LogText.Cut(message.MessageId, 64), LogText.Cut(e.Message, 300));
            await _deadLetters.WriteAsync(DeadLetter.From(queue, message, NotAnEventCode, LogText.Cut(e.Message, 1000)), cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    private bool IsForInbox(BlobCreatedNotice notice)
    {
        if (notice.Container != _inboxContainer)
        {
            _logger.LogDebug("BlobCreated event {EventId} for container '{Container}' ignored: not the inbox.", notice.EventId, notice.Container);
            return false;
        }

        if (notice.Api == CreateFileApi)
        {
            // Hierarchical namespace: CreateFile makes an empty file; the content's FlushWithClose raises its own BlobCreated.
            _logger.LogDebug("BlobCreated event {EventId} for '{Blob}' ignored: an empty file creation (CreateFile).", notice.EventId, notice.BlobName);
            return false;
        }

        if (notice.BlobName.StartsWith(_referencesFolder, StringComparison.Ordinal))
        {
            _logger.LogInformation("BlobCreated event {EventId} for '{Blob}' ignored: reference images under '{Folder}' start no job.", notice.EventId, notice.BlobName, _referencesFolder);
            return false;
        }

        return true;
    }

    private GenerationJob NewJob(string jobId, SourceBlob source, DropSubmission? drop, JobError? error)
    {
        var submission = drop?.Submission;
        var job = JobFactory.Create(jobId, JobSource, submission?.Request, drop?.BodyHash,
            submission is null ? null : new Dictionary<string, string>(submission.Metadata),
            PipelineTelemetry.CurrentOrNewTraceParent(null), source, submission?.Deadline, submission?.Webhook ?? drop?.RefusedWebhook);
        return error is null ? job : JobFactory.Reject(job, error, _time.GetUtcNow());
    }
}

/// <summary>The metadata a drop job writes onto its source blob: its id, its status and, when its outcome says so (<see cref="JobOutcome.DropMarksError"/>), the error.</summary>
public static class DropMarks
{
    public static IReadOnlyDictionary<string, string?> For(GenerationJob job)
    {
        var marksError = JobOutcomes.Of(job.Status).DropMarksError;
        return new Dictionary<string, string?>
        {
            [InboxStore.JobIdKey] = job.Id,
            [InboxStore.StatusKey] = job.StatusName,
            [InboxStore.ErrorCodeKey] = marksError ? job.Error?.Code : null,
            [InboxStore.ErrorKey] = marksError ? job.Error?.Message : null,
        };
    }
}
