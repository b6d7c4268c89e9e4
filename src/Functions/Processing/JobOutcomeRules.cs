using Seedream.Functions.Jobs;

namespace Seedream.Functions.Processing;

/// <summary>What a generation call's failure means for the job (see <see cref="JobOutcomeRules.OnGenerationFailure"/>).</summary>
public enum GenerationFailureAction
{
    /// <summary>Seedream refused the request for good (400, 401, 403, 404, …): the job fails now.</summary>
    Fail,

    /// <summary>The call may have reached Seedream and its answer was lost: fail rather than pay twice.</summary>
    FailOutcomeUnknown,

    /// <summary>Nothing can have been generated (a 429 refusal, or the request was never sent): free the job; the queue retries.</summary>
    Retry,

    /// <summary>
    /// Seedream or a gateway in front of it answered an error a later call might not get (5xx, 408): the job fails now
    /// with that answer, and is not repeated, since the call was sent and may still be generated and billed.
    /// </summary>
    FailAnswered,
}

/// <summary>
/// The runner's decisions as pure functions of the job record: which status a job ends in, which event type that
/// publishes, what counts as partial, what is lost and what is retried. No storage, no clock of their own.
/// </summary>
public static class JobOutcomeRules
{
    public const string OutcomeUnknownCode = "GenerationOutcomeUnknown";
    public const string ResultLostCode = "ResultLost";
    public const string RetriesExhaustedCode = "RetriesExhausted";
    public const string NoImagesGeneratedCode = "NoImagesGenerated";

    /// <summary>The provider's own code for a failed call (contract §6.1, HTTP 500).</summary>
    public const string InternalServiceErrorCode = "InternalServiceError";

    /// <summary>The most images one response can hold (references count against it).</summary>
    public const int MaxSeriesImages = 15;

    /// <summary>
    /// How a run ends: cancelled once a cancel was recorded (whatever happened after it), else failed without an image,
    /// succeeded without a failure, and partially succeeded with both.
    /// </summary>
    public static JobStatus CompletedStatus(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.CancelRequestedAt is not null ? JobStatus.Cancelled
            : job.Images.Count == 0 ? JobStatus.Failed
            : job.Failures.Count == 0 ? JobStatus.Succeeded
            : JobStatus.PartiallySucceeded;
    }

    /// <summary>True for an outcome with both stored images and failed ones.</summary>
    public static bool IsPartial(GenerationJob job) => CompletedStatus(job) == JobStatus.PartiallySucceeded;

    /// <summary>The error a job reports for <paramref name="status"/>: the cause given, else what its failures say; none unless failed.</summary>
    public static JobError? ErrorFor(GenerationJob job, JobStatus status, JobError? cause)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (status != JobStatus.Failed)
        {
            return null;
        }

        return cause ?? job.Error ?? (job.Failures.Count > 0
            ? new JobError(job.Failures[0].Code, job.Failures[0].Message) { Advice = AdviceForImageFailure(job.Failures[0].Code) }
            : new JobError(NoImagesGeneratedCode, "Seedream returned no images for this request."));
    }

    /// <summary>The terminal event type of a terminal status.</summary>
    public static string TerminalEventType(JobStatus status) =>
        JobOutcomes.Of(status).EventType ?? throw new ArgumentOutOfRangeException(nameof(status), status, "Only terminal statuses have a terminal event.");

    /// <summary>
    /// Retry only what cannot have been billed: a 429 (the provider's table says those requests were refused, not
    /// processed) or a request that never left (connection refused, DNS, TLS). Any other answer to a sent request fails
    /// the job at once, and a lost answer is repeated only when configured.
    /// </summary>
    public static GenerationFailureAction OnGenerationFailure(SeedreamException error, bool regenerateWhenOutcomeUnknown)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!error.IsTransient)
        {
            return GenerationFailureAction.Fail;
        }

        if (error.Status == 429 || (error.Status == 0 && !error.MayHaveReachedServer))
        {
            return GenerationFailureAction.Retry;
        }

        if (error.Status == 0)
        {
            return regenerateWhenOutcomeUnknown ? GenerationFailureAction.Retry : GenerationFailureAction.FailOutcomeUnknown;
        }

        // The contract documents no 5xx (nor 408) as refused before processing: 500 InternalServiceError says only
        // "retry later", and 502/503/504 come from gateways that may have passed the request on, where Seedream can
        // still generate and bill it. A second POST could pay twice, so the caller decides, with the advice below.
        return GenerationFailureAction.FailAnswered;
    }

    /// <summary>
    /// The error of a job failed by <see cref="GenerationFailureAction.FailAnswered"/>: the answer's code and message, and
    /// advice on submitting again that says whether the provider itself reported the call failed (nothing billed).
    /// </summary>
    public static JobError AnsweredFailureError(SeedreamException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var reportedByProvider = error.Status == 500 && error.ErrorCode == InternalServiceErrorCode;
        return ErrorFrom(error) with
        {
            Advice = reportedByProvider
                ? "Seedream reported that the generation failed (InternalServiceError): nothing was generated or billed, so it is safe to submit the request again. "
                    + "It was not repeated automatically because a repeated call is billed again."
                : $"Seedream or a gateway in front of it answered {error.Status} after the request was sent: the images may still have been generated and billed, "
                    + "and they cannot be recovered. It was not repeated automatically; submit the request again only if paying twice is acceptable.",
        };
    }

    /// <summary>
    /// Records a response that broke off while it was read: what was not read may have been billed but is gone, so it
    /// is recorded (ResultLost, or the error Seedream reported in the body) and never regenerated.
    /// </summary>
    public static void RecordBrokenResponse(GenerationJob job, Exception error)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(error);
        var serverError = error is SeedreamException { IsTransient: false, ErrorCode: { } code } reported && !IsTransportFailure(code) ? reported : null;
        if (serverError is null)
        {
            AddFailure(job, NextIndex(job), ResultLostCode,
                $"The response broke off ({(error as SeedreamException)?.ErrorCode ?? error.GetType().Name}); the images it did not deliver are lost and not regenerated.");
        }
        else if (job.Images.Count == 0 && job.Failures.Count == 0 && (job.Answer?.Items.Count ?? 0) == 0)
        {
            // Seedream reported an error instead of any image (a top-level error in a 200 body or an SSE error event).
            job.Error = ErrorFrom(serverError);
        }
        else
        {
            AddFailure(job, NextIndex(job), serverError.ErrorCode!, serverError.Message);
        }
    }

    /// <summary>An answer whose reading was interrupted: the rest of the series is lost (never regenerated).</summary>
    public static void MarkUnreadRestLost(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Answer is not { Complete: false } answer)
        {
            return;
        }

        answer.Complete = true;
        var next = NextIndex(job);
        if (next < MaxImages(job))
        {
            AddFailure(job, next, ResultLostCode,
                "The delivery reading the Seedream response stopped before its end; images it had not read are lost and are not regenerated.");
        }
    }

    /// <summary>A job whose queue message ran out of retries: every answered image not stored fails; returns the job's error.</summary>
    public static JobError RecordRetriesExhausted(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        MarkUnreadRestLost(job);
        foreach (var item in job.Answer?.Items ?? [])
        {
            if (!job.IsSettled(item.Index))
            {
                AddFailure(job, item.Index, RetriesExhaustedCode, "The image could not be stored before the retries ran out.");
            }
        }

        return job.Phase == GenerationPhase.Requested ? OutcomeUnknownError()
            : job.LastTransientError ?? new JobError(RetriesExhaustedCode, "The job failed on every delivery of its queue message.");
    }

    /// <summary>Records a failed image once; an index already stored or failed is left as it is.</summary>
    public static void AddFailure(GenerationJob job, int index, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!job.IsSettled(index))
        {
            job.Failures.Add(new ImageFailure(index, code, message));
            job.Failures.Sort((a, b) => a.Index.CompareTo(b.Index));
        }
    }

    /// <summary>Adds (or replaces) a stored image, keeping the list in index order.</summary>
    public static void AddImage(GenerationJob job, StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(image);
        job.Images.RemoveAll(i => i.Index == image.Index);
        job.Images.Add(image);
        job.Images.Sort((a, b) => a.Index.CompareTo(b.Index));
    }

    /// <summary>The first index after every image stored, failed or answered.</summary>
    public static int NextIndex(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new[] { -1 }
            .Concat(job.Images.Select(i => i.Index))
            .Concat(job.Failures.Select(f => f.Index))
            .Concat(job.Answer?.Items.Select(i => i.Index) ?? [])
            .Max() + 1;
    }

    /// <summary>The most images the request can produce: one unless sequential generation is on (references count against 15).</summary>
    public static int MaxImages(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Request?.SequentialImageGeneration != "auto")
        {
            return 1;
        }

        var maxImages = job.Request.SequentialImageGenerationOptions?.MaxImages ?? MaxSeriesImages;
        return Math.Min(maxImages, MaxSeriesImages - InputImageCount(job));
    }

    public static int InputImageCount(GenerationJob job) => job?.Request?.Image?.Count ?? 0;

    /// <summary>The model Seedream reported, else the one requested.</summary>
    public static string? ModelName(GenerationJob job) => job?.Answer?.Model ?? job?.Request?.Model;

    /// <summary>The content type for an image whose bytes do not tell: the requested output format, JPEG by default.</summary>
    public static string FallbackContentType(GenerationJob job) => job?.Request?.OutputFormat == "png" ? "image/png" : "image/jpeg";

    /// <summary>True when the deadline has passed and the job was not sent to Seedream: it ends expired, unpaid.</summary>
    public static bool HasExpired(GenerationJob job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        return !job.IsTerminal && job.Phase == GenerationPhase.NotStarted && job.Deadline is { } deadline && deadline <= now;
    }

    public static JobError ExpiredError(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobError("DeadlineExceeded",
            $"The job's deadline ({job.Deadline:O}) passed before it was sent to Seedream; nothing was generated or billed.")
        {
            Advice = "Submit it again with a later deadline (or a longer Cancel-After).",
        };
    }

    /// <summary>The Seedream failure behind <paramref name="e"/> when retrying cannot help (bad content, expired URL, too large).</summary>
    public static SeedreamException? PermanentFailure(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (current is SeedreamException { IsTransient: false } seedream)
            {
                return seedream;
            }
        }

        return null;
    }

    public static string? AdviceForImageFailure(string code) =>
        code.Contains("SensitiveContent", StringComparison.Ordinal)
            ? "Content moderation refused the output; change the prompt or the reference images."
            : code == ResultLostCode ? "Submit the request again; the lost images were not regenerated to avoid paying twice." : null;

    public static bool IsTransportFailure(string code) =>
        code is SeedreamException.ResponseTruncatedCode or SeedreamException.InvalidResponseCode or SeedreamException.TimeoutCode or SeedreamException.NetworkErrorCode;

    public static JobError ErrorFrom(SeedreamException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.ErrorCode ?? $"Http{e.Status}", e.Message)
        {
            Advice = e.Advice,
            SeedreamStatus = e.Status == 0 ? null : e.Status,
            SeedreamRequestId = e.RequestId,
            Fields = e.ValidationErrors.Count == 0 ? null
                : e.ValidationErrors.GroupBy(v => v.Param).ToDictionary(g => g.Key, g => g.Select(v => v.Message).ToArray()),
        };
    }

    public static JobError OutcomeUnknownError(SeedreamException? cause = null) => new(OutcomeUnknownCode,
        "The generation call may have reached Seedream, but its answer was lost. It is not repeated automatically because Seedream bills every generation; "
        + "submit the request again, or set Pipeline:RegenerateWhenOutcomeUnknown=true to regenerate in this case."
        + (cause is null ? string.Empty : $" Cause: {cause.Message}"))
    {
        SeedreamRequestId = cause?.RequestId,
    };
}
