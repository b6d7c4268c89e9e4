using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Submissions;

public enum SubmissionOutcome
{
    /// <summary>A job was created (or an idempotent retry found its job).</summary>
    Accepted,

    /// <summary>The request is invalid; nothing was stored or enqueued.</summary>
    Invalid,

    /// <summary>The idempotency key was used before with a different body.</summary>
    IdempotencyConflict,
}

public sealed record SubmissionResult(SubmissionOutcome Outcome, GenerationJob? Job, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>What became of a producer's queue message: the job to run, or why it maps to no job of its own.</summary>
public sealed record QueuedAcceptance(string? JobId, string? ConflictingJobId);

/// <summary>Turns HTTP submissions and producers' queue requests into jobs through the one intake; both then travel the same queue path.</summary>
public sealed class SubmissionService
{
    public const string InvalidRequestCode = "InvalidRequest";

    private readonly SubmissionIntake _intake;
    private readonly JobStore _jobs;
    private readonly GenerationQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<SubmissionService> _logger;

    public SubmissionService(SubmissionIntake intake, JobStore jobs, GenerationQueue queue, TimeProvider time, ILogger<SubmissionService> logger)
    {
        _intake = intake;
        _jobs = jobs;
        _queue = queue;
        _time = time;
        _logger = logger;
    }

    /// <summary>Validates an HTTP body, creates the job and enqueues a reference to it.</summary>
    /// <param name="traceParent">The caller's trace context; the submission's own span is its child.</param>
    public async Task<SubmissionResult> SubmitAsync(ReadOnlyMemory<byte> body, string? idempotencyKey, string traceParent, IntakeContext? context, CancellationToken cancellationToken)
    {
        using var activity = PipelineTelemetry.StartActivity(PipelineTelemetry.SubmitGenerationActivity, traceParent, ActivityKind.Internal);
        try
        {
            // The job carries this span's context, so each delivery of it continues the trace under the submission.
            return await SubmitCoreAsync(body, idempotencyKey, activity.IdFormat == ActivityIdFormat.W3C ? activity.Id! : traceParent, activity, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private async Task<SubmissionResult> SubmitCoreAsync(
        ReadOnlyMemory<byte> body, string? idempotencyKey, string traceParent, Activity activity, IntakeContext? context, CancellationToken cancellationToken)
    {
        var read = await _intake.ReadAsync(body, IntakeOrigin.Http, context, cancellationToken).ConfigureAwait(false);
        if (read.Submission is not { } submission)
        {
            // The same bytes under the same key were accepted before (what is invalid now is time: the body's deadline
            // has passed since): a retry after a lost answer must hear about its job, not that nothing was submitted.
            if (idempotencyKey is not null && await FindRetriedJobAsync(idempotencyKey, read.BodyHash, cancellationToken).ConfigureAwait(false) is { } retried)
            {
                activity.SetTag(PipelineTelemetry.JobIdTag, retried.Id);
                return new SubmissionResult(SubmissionOutcome.Accepted, retried, null);
            }

            return new SubmissionResult(SubmissionOutcome.Invalid, null, read.Problems.ToDictionary());
        }

        var jobId = NewJobId();
        activity.SetTag(PipelineTelemetry.JobIdTag, jobId);
        if (idempotencyKey is not null)
        {
            var keyHash = KeyHash(idempotencyKey);
            if (!await _jobs.TryCreateIdempotencyRecordAsync(keyHash, new IdempotencyRecord(jobId, submission.BodyHash), cancellationToken).ConfigureAwait(false))
            {
                var record = await _jobs.GetIdempotencyRecordAsync(keyHash, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The idempotency record vanished after it was found.");
                if (record.RequestHash != submission.BodyHash)
                {
                    return new SubmissionResult(SubmissionOutcome.IdempotencyConflict, null, null);
                }

                jobId = record.JobId;
                activity.SetTag(PipelineTelemetry.JobIdTag, jobId);
                if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
                {
                    if (existing.Job.Status == JobStatus.Queued)
                    {
                        // The first attempt may have died before enqueueing; a duplicate reference is harmless.
                        await _queue.EnqueueAsync(jobId, existing.Job.TraceParent, delay: null, cancellationToken).ConfigureAwait(false);
                    }

                    return new SubmissionResult(SubmissionOutcome.Accepted, existing.Job, null);
                }
            }
        }

        var job = NewJob(jobId, "http", submission.BodyHash, submission, traceParent);
        var created = await _jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false);
        if (created is null)
        {
            var existing = await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Job {jobId} could neither be created nor read.");
            await _queue.EnqueueAsync(jobId, traceParent, delay: null, cancellationToken).ConfigureAwait(false);
            return new SubmissionResult(SubmissionOutcome.Accepted, existing.Job, null);
        }

        try
        {
            await _queue.EnqueueAsync(jobId, traceParent, delay: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The caller gets an error, so no job may be left behind that nothing will ever run. A retry with the same
            // Idempotency-Key finds its key record, no job, and creates the job again under the same id.
            _logger.LogWarning(e, "Job {JobId} could not be enqueued; its record is removed and the submission refused.", jobId);
            await _jobs.DeleteAsync(created, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new SubmissionResult(SubmissionOutcome.Accepted, created.Job, null);
    }

    /// <summary>
    /// Creates the job for a producer's queue request: the job to run (a failed one when the request is invalid; it is
    /// never retried), or the job that already holds the message's id for a different request (the caller dead-letters it).
    /// </summary>
    public Task<QueuedAcceptance> AcceptQueuedAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        AcceptQueuedAsync(message, enqueuedAt: null, cancellationToken);

    /// <param name="enqueuedAt">The message's insertion time: a deadline that passed while it waited expires the job rather than failing it.</param>
    public async Task<QueuedAcceptance> AcceptQueuedAsync(ReadOnlyMemory<byte> message, DateTimeOffset? enqueuedAt, CancellationToken cancellationToken)
    {
        var read = await _intake.ReadAsync(message, IntakeOrigin.Queue, enqueuedAt is null ? IntakeContext.None : new IntakeContext { SubmittedAt = enqueuedAt }, cancellationToken).ConfigureAwait(false);
        var jobId = read.DeclaredId ?? $"q-{read.BodyHash[..32]}";
        while (true)
        {
            if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return existing.Job.RequestHash == read.BodyHash ? new QueuedAcceptance(jobId, null) : new QueuedAcceptance(null, jobId);
            }

            var submission = read.Submission;
            var job = NewJob(jobId, "queue", read.BodyHash, submission, submission?.TraceParent ?? PipelineTelemetry.CurrentOrNewTraceParent(null));
            if (submission is null)
            {
                // What was asked stays visible in the failed job (status API, page); it is never sent.
                job.Request = read.RefusedRequest;
                job.Metadata = new Dictionary<string, string>(read.RefusedMetadata);
                job.Webhook = read.RefusedWebhook;
                _logger.LogInformation("Queued request refused; job {JobId} fails: {Problems}", jobId, read.Problems.Summary(512));
                JobFactory.Reject(job, new JobError(InvalidRequestCode, $"The queued request cannot succeed. {read.Problems.Summary()}") { Fields = read.Problems.ToDictionary() }, _time.GetUtcNow());
            }

            if (await _jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false) is not null)
            {
                return new QueuedAcceptance(jobId, null);
            }
        }
    }

    private async Task<GenerationJob?> FindRetriedJobAsync(string idempotencyKey, string bodyHash, CancellationToken cancellationToken)
    {
        var record = await _jobs.GetIdempotencyRecordAsync(KeyHash(idempotencyKey), cancellationToken).ConfigureAwait(false);
        return record is not null && record.RequestHash == bodyHash
            ? (await _jobs.GetAsync(record.JobId, cancellationToken).ConfigureAwait(false))?.Job
            : null;
    }

    private static string KeyHash(string idempotencyKey) => SubmissionIntake.Hash(Encoding.UTF8.GetBytes(idempotencyKey));

    /// <summary>Time-ordered, so job blobs list in submission order.</summary>
    private static string NewJobId() => Guid.CreateVersion7().ToString("N");

    private static GenerationJob NewJob(string id, string source, string bodyHash, Submission? submission, string traceParent) =>
        JobFactory.Create(id, source, submission?.Request, bodyHash, submission is null ? null : new Dictionary<string, string>(submission.Metadata), traceParent, deadline: submission?.Deadline, webhook: submission?.Webhook);
}
