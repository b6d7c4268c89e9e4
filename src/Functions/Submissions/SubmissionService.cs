using System.Text;
using Microsoft.Extensions.Logging;

namespace Seedream.Functions;

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

/// <summary>Turns HTTP submissions and producers' queue requests into jobs; both then travel the same queue path.</summary>
public sealed class SubmissionService
{
    private readonly SubmissionParser _parser;
    private readonly JobStore _jobs;
    private readonly GenerationQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<SubmissionService> _logger;

    public SubmissionService(SubmissionParser parser, JobStore jobs, GenerationQueue queue, TimeProvider time, ILogger<SubmissionService> logger)
    {
        _parser = parser;
        _jobs = jobs;
        _queue = queue;
        _time = time;
        _logger = logger;
    }

    /// <summary>Validates an HTTP body, creates the job and enqueues a reference to it.</summary>
    public async Task<SubmissionResult> SubmitAsync(ReadOnlyMemory<byte> body, string? idempotencyKey, string traceParent, CancellationToken cancellationToken)
    {
        var parsed = _parser.ParseHttpBody(body.Span);
        if (!parsed.IsValid)
        {
            return new SubmissionResult(SubmissionOutcome.Invalid, null, parsed.ErrorFields);
        }

        var jobId = NewJobId();
        if (idempotencyKey is not null)
        {
            var keyHash = SubmissionParser.Hash(Encoding.UTF8.GetBytes(idempotencyKey));
            if (!await _jobs.TryCreateIdempotencyRecordAsync(keyHash, new IdempotencyRecord(jobId, parsed.BodyHash), cancellationToken).ConfigureAwait(false))
            {
                var record = await _jobs.GetIdempotencyRecordAsync(keyHash, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The idempotency record vanished after it was found.");
                if (record.RequestHash != parsed.BodyHash)
                {
                    return new SubmissionResult(SubmissionOutcome.IdempotencyConflict, null, null);
                }

                jobId = record.JobId;
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

        var job = NewJob(jobId, "http", parsed, traceParent);
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
    /// Creates the job for a producer's queue request and returns its id to run, or null when the id belongs to another request.
    /// An invalid request becomes a failed job (its Failed event names the fields at fault); it is never retried.
    /// </summary>
    public async Task<string?> AcceptQueuedAsync(string message, CancellationToken cancellationToken)
    {
        var parsed = _parser.ParseQueueRequest(Encoding.UTF8.GetBytes(message));
        var jobId = QueuedJobId(parsed);
        while (true)
        {
            if (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                if (existing.Job.RequestHash == parsed.BodyHash)
                {
                    return jobId;
                }

                _logger.LogWarning("Queued request for job {JobId} ignored: a different request already has that id.", jobId);
                return null;
            }

            var job = NewJob(jobId, "queue", parsed, parsed.TraceParent ?? PipelineTelemetry.CurrentOrNewTraceParent(null));
            if (!parsed.IsValid)
            {
                JobFactory.Reject(job, new JobError("InvalidRequest", "The queued request is not a valid Seedream request; see fields.") { Fields = parsed.ErrorFields }, _time.GetUtcNow());
            }

            if (await _jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false) is not null)
            {
                return jobId;
            }
        }
    }

    /// <summary>The producer's id, else one derived from the message, so a redelivered message maps to the same job.</summary>
    private static string QueuedJobId(ParsedSubmission parsed) => parsed.Id ?? $"q-{parsed.BodyHash[..32]}";

    /// <summary>Time-ordered, so job blobs list in submission order.</summary>
    private static string NewJobId() => Guid.CreateVersion7().ToString("N");

    private static GenerationJob NewJob(string id, string source, ParsedSubmission parsed, string traceParent) =>
        JobFactory.Create(id, source, parsed.Request, parsed.BodyHash, parsed.Metadata, traceParent);
}
