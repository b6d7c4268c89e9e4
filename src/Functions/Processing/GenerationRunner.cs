using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>
/// Runs a job to its one terminal event without ever paying twice. Every step is a compare-and-swap on the job record
/// (ETags), so concurrent or repeated deliveries of the same job agree on who does what.
/// </summary>
public sealed class GenerationRunner
{
    public const string OutcomeUnknownCode = "GenerationOutcomeUnknown";
    public const string ResultLostCode = "ResultLost";
    public const string RetriesExhaustedCode = "RetriesExhausted";

    private static readonly TimeSpan PublishClaimDuration = TimeSpan.FromMinutes(2);

    private readonly JobStore _jobs;
    private readonly GenerationQueue _queue;
    private readonly ImageStore _images;
    private readonly JobEventPublisher _events;
    private readonly SeedreamClient _seedream;
    private readonly CostCalculator _costs;
    private readonly PipelineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GenerationRunner> _logger;
    private readonly PipelineTestHooks _hooks;

    internal GenerationRunner(
        JobStore jobs, GenerationQueue queue, ImageStore images, JobEventPublisher events, SeedreamClient seedream, CostCalculator costs,
        IOptions<PipelineOptions> options, TimeProvider time, ILogger<GenerationRunner> logger, PipelineTestHooks hooks)
    {
        _jobs = jobs;
        _queue = queue;
        _images = images;
        _events = events;
        _seedream = seedream;
        _costs = costs;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _hooks = hooks;
    }

    /// <summary>Advances the job as far as this delivery may: generate, resume downloads, finish or (re)publish. False when there is no such job.</summary>
    public Task<bool> RunAsync(string jobId, CancellationToken cancellationToken) =>
        ExecuteAsync(jobId, "ProcessGeneration", (execution, ct) => execution.RunAsync(ct), cancellationToken);

    /// <summary>Ends a job whose message exhausted its retries: what is stored stays, the rest is failed. False when there is no such job.</summary>
    public Task<bool> AbandonAsync(string jobId, CancellationToken cancellationToken) =>
        ExecuteAsync(jobId, "AbandonGeneration", (execution, ct) => execution.AbandonAsync(ct), cancellationToken);

    private async Task<bool> ExecuteAsync(string jobId, string activityName, Func<Execution, CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        var stored = await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return false;
        }

        using var activity = PipelineTelemetry.StartJobActivity(activityName, jobId, stored.Job.TraceParent);
        var execution = new Execution(this, Guid.NewGuid().ToString("N"), stored);
        try
        {
            await step(execution, cancellationToken).ConfigureAwait(false);
        }
        catch (LeaseLostException)
        {
            _logger.LogInformation("Job {JobId} was taken over by another delivery; this one stops.", jobId);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Processing job {JobId} failed; the queue will retry.", jobId);
            await execution.ReleaseAfterFailureAsync().ConfigureAwait(false);
            throw;
        }

        return true;
    }

    private sealed class LeaseLostException() : Exception("Another delivery owns the job now.");

    /// <summary>One delivery's view of the job: the latest record it read or wrote and its lease owner id.</summary>
    private sealed class Execution(GenerationRunner runner, string owner, StoredJob stored)
    {
        private StoredJob _stored = stored;

        private GenerationJob Job => _stored.Job;

        private DateTimeOffset Now => runner._time.GetUtcNow();

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var now = Now;
                if (Job.IsTerminal)
                {
                    await EnsurePublishedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (Job.Lease is { } lease && lease.IsLive(now) && lease.Owner != owner)
                {
                    // Another delivery is working on it: look again once its lease has run out (the watchdog).
                    await DeferAsync(lease.ExpiresAt - now, cancellationToken).ConfigureAwait(false);
                    return;
                }

                switch (Job.Phase)
                {
                    case GenerationPhase.NotStarted:
                        var claimed = await TryWriteAsync(job =>
                        {
                            job.Phase = GenerationPhase.Requested;
                            job.Status = JobStatus.Running;
                            job.StartedAt ??= now;
                            job.GenerationAttempts++;
                            job.Lease = NewLease();
                        }, cancellationToken).ConfigureAwait(false);
                        if (claimed)
                        {
                            await GenerateAsync(cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        break;

                    case GenerationPhase.Requested when runner._options.RegenerateWhenOutcomeUnknown:
                        runner._logger.LogWarning("Job {JobId}: the outcome of its generation call is unknown; generating again as configured.", Job.Id);
                        await TryWriteAsync(job =>
                        {
                            job.Phase = GenerationPhase.NotStarted;
                            job.Lease = null;
                        }, cancellationToken).ConfigureAwait(false);
                        break;

                    case GenerationPhase.Requested:
                        if (await TryWriteAsync(job => ApplyTerminal(job, OutcomeUnknownError()), cancellationToken).ConfigureAwait(false))
                        {
                            await PublishClaimedAsync(cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        break;

                    case GenerationPhase.Answered:
                        if (await TryWriteAsync(job => job.Lease = NewLease(), cancellationToken).ConfigureAwait(false))
                        {
                            await StoreAnsweredImagesAsync(cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        break;
                }
            }
        }

        public async Task AbandonAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var now = Now;
                if (Job.IsTerminal)
                {
                    await EnsurePublishedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (Job.Phase == GenerationPhase.Requested && Job.Lease is { } lease && lease.IsLive(now))
                {
                    // A generation call may still be answered: leave the decision to the watchdog.
                    await DeferAsync(lease.ExpiresAt - now, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var terminated = await TryWriteAsync(job =>
                {
                    MarkUnreadRestLost(job);
                    foreach (var item in job.Answer?.Items ?? [])
                    {
                        if (!job.IsSettled(item.Index))
                        {
                            AddFailure(job, item.Index, RetriesExhaustedCode, "The image could not be stored before the retries ran out.");
                        }
                    }

                    var error = job.Phase == GenerationPhase.Requested ? OutcomeUnknownError()
                        : job.LastTransientError ?? new JobError(RetriesExhaustedCode, "The job failed on every delivery of its queue message.");
                    ApplyTerminal(job, error);
                }, cancellationToken).ConfigureAwait(false);
                if (terminated)
                {
                    await PublishClaimedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }

        /// <summary>After an unexpected failure: frees the job for the next delivery unless the generation call's outcome is open.</summary>
        public async Task ReleaseAfterFailureAsync()
        {
            try
            {
                if (Job.Lease?.Owner == owner && Job.Phase != GenerationPhase.Requested)
                {
                    Job.Lease = null;
                    await runner._jobs.TryReplaceAsync(_stored, CancellationToken.None).ConfigureAwait(false);
                }
                else if (Job.TerminalEvent is { PublishedAt: null } terminal && terminal.ClaimedBy == owner)
                {
                    terminal.ClaimedBy = null;
                    terminal.ClaimExpiresAt = null;
                    await runner._jobs.TryReplaceAsync(_stored, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                runner._logger.LogWarning(e, "Could not release job {JobId}; its lease expires by itself.", Job.Id);
            }
        }

        private async Task GenerateAsync(CancellationToken cancellationToken)
        {
            var request = Job.Request!;
            ImageGenerationResponse response;
            try
            {
                response = await runner._seedream.GenerateImagesAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (SeedreamException e) when (!e.IsTransient)
            {
                runner._logger.LogWarning("Job {JobId}: Seedream refused the request ({Status} {Code}).", Job.Id, e.Status, e.ErrorCode);
                await FinishOwnedAsync(ErrorFrom(e), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SeedreamException e) when (e.Status == 0 && e.MayHaveReachedServer && !runner._options.RegenerateWhenOutcomeUnknown)
            {
                runner._logger.LogError(e, "Job {JobId}: the generation call may have reached Seedream but its answer was lost.", Job.Id);
                await FinishOwnedAsync(OutcomeUnknownError(e), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SeedreamException e)
            {
                // Nothing was generated (an error answer, or the request was never sent): free the job, and the queue
                // retries with backoff. Should another delivery have taken it over meanwhile, that one decides.
                await TryWriteAsync(job =>
                {
                    job.Phase = GenerationPhase.NotStarted;
                    job.LastTransientError = ErrorFrom(e);
                    job.Lease = null;
                }, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            await using (response.ConfigureAwait(false))
            {
                await ReadAnswerAsync(request, response, cancellationToken).ConfigureAwait(false);
            }

            await StoreAnsweredImagesAsync(cancellationToken).ConfigureAwait(false);
        }

        private async Task ReadAnswerAsync(ImageGenerationRequest request, ImageGenerationResponse response, CancellationToken cancellationToken)
        {
            var answer = new GenerationAnswer
            {
                SeedreamRequestId = response.RequestId,
                Model = response.Model,
                Inline = request.ResponseFormat == "b64_json",
            };

            // From this write on, no delivery calls Seedream again for this job.
            await WriteOwnedAsync(job =>
            {
                job.Phase = GenerationPhase.Answered;
                job.Answer = answer;
            }, cancellationToken).ConfigureAwait(false);

            try
            {
                await foreach (var image in response.ReadImagesAsync(cancellationToken).ConfigureAwait(false))
                {
                    answer.Model ??= response.Model;
                    if (image.Error is { } error)
                    {
                        await WriteOwnedAsync(job => AddFailure(job, image.Index, error.Code, error.Message), cancellationToken).ConfigureAwait(false);
                    }
                    else if (answer.Inline)
                    {
                        await StoreInlineImageAsync(image, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        var item = new AnsweredImage(image.Index, image.Url!, image.Width, image.Height);
                        answer.Items.Add(item);
                        if (response.IsStreaming)
                        {
                            // A stream delivers one URL per event, minutes apart for a group: persist this URL, then store
                            // its image now rather than after the last event. A crash in between resumes from the record.
                            await WriteOwnedAsync(job => job.Answer = answer, cancellationToken).ConfigureAwait(false);
                            await StoreAnsweredImageAsync(item, FallbackContentType(Job), cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                answer.Model ??= response.Model;
                answer.Usage = response.Usage is { } usage
                    ? new JobUsage(usage.GeneratedImages, usage.OutputTokens, usage.TotalTokens, usage.InputImages)
                    : null;
                answer.Complete = true;
            }
            catch (Exception e) when (e is not OperationCanceledException and not LeaseLostException)
            {
                // What was not read may have been generated and billed, but it is gone: record it, never regenerate.
                runner._logger.LogWarning(e, "Job {JobId}: reading the Seedream response failed.", Job.Id);
                answer.Complete = true;
                var serverError = e is SeedreamException { IsTransient: false, ErrorCode: { } code } reported && !IsTransportFailure(code) ? reported : null;
                await WriteOwnedAsync(job =>
                {
                    job.Answer = answer;
                    if (serverError is null)
                    {
                        AddFailure(job, NextIndex(job), ResultLostCode,
                            $"The response broke off ({(e as SeedreamException)?.ErrorCode ?? e.GetType().Name}); the images it did not deliver are lost and not regenerated.");
                    }
                    else if (job.Images.Count == 0 && job.Failures.Count == 0 && answer.Items.Count == 0)
                    {
                        // Seedream reported an error instead of any image (a top-level error in a 200 body or an SSE error event).
                        job.Error = ErrorFrom(serverError);
                    }
                    else
                    {
                        AddFailure(job, NextIndex(job), serverError.ErrorCode!, serverError.Message);
                    }
                }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                // The URLs read so far are kept with the lease release; the resumed delivery marks the unread rest lost.
                Job.Answer = answer;
                throw;
            }

            // url mode: every URL, failure and the usage are persisted before the first download.
            await WriteOwnedAsync(job =>
            {
                job.Answer = answer;
                job.Usage = answer.Usage;
            }, cancellationToken).ConfigureAwait(false);
        }

        private async Task StoreInlineImageAsync(GeneratedImage image, CancellationToken cancellationToken)
        {
            try
            {
                var content = await image.OpenReadAsync(cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    var stored = await runner._images.UploadAsync(Job.Id, image.Index, content, image.ContentType, ModelName(Job),
                        image.Width, image.Height, Job.Metadata, cancellationToken).ConfigureAwait(false);
                    // b64_json items may report their size after the content.
                    await RecordImageAsync(stored with { Width = stored.Width ?? image.Width, Height = stored.Height ?? image.Height }, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (PermanentFailure(e) is { } failure)
            {
                await WriteOwnedAsync(job => AddFailure(job, image.Index, failure.ErrorCode ?? "InvalidImageContent", failure.Message), cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task StoreAnsweredImagesAsync(CancellationToken cancellationToken)
        {
            if (Job.Answer is { Complete: false })
            {
                await WriteOwnedAsync(MarkUnreadRestLost, cancellationToken).ConfigureAwait(false);
            }

            var fallbackContentType = FallbackContentType(Job);
            foreach (var item in Job.Answer?.Items.ToList() ?? [])
            {
                if (!Job.IsSettled(item.Index))
                {
                    await StoreAnsweredImageAsync(item, fallbackContentType, cancellationToken).ConfigureAwait(false);
                }
            }

            await FinishOwnedAsync(error: null, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Streams one persisted result URL into its blob; a permanent download failure becomes that image's failure.</summary>
        private async Task StoreAnsweredImageAsync(AnsweredImage item, string fallbackContentType, CancellationToken cancellationToken)
        {
            try
            {
                var download = await runner._seedream.OpenImageDownloadAsync(item.Url, cancellationToken).ConfigureAwait(false);
                await using (download.ConfigureAwait(false))
                {
                    var stored = await runner._images.UploadAsync(Job.Id, item.Index, download, fallbackContentType, ModelName(Job),
                        item.Width, item.Height, Job.Metadata, cancellationToken).ConfigureAwait(false);
                    await RecordImageAsync(stored, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (PermanentFailure(e) is { } failure)
            {
                await WriteOwnedAsync(job => AddFailure(job, item.Index, failure.ErrorCode ?? "DownloadFailed", failure.Message), cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task RecordImageAsync(StoredImage image, CancellationToken cancellationToken)
        {
            await WriteOwnedAsync(job =>
            {
                job.Images.RemoveAll(i => i.Index == image.Index);
                job.Images.Add(image);
                job.Images.Sort((a, b) => a.Index.CompareTo(b.Index));
            }, cancellationToken).ConfigureAwait(false);
            runner._hooks.ImageStored?.Invoke(Job.Id, image.Index);
            if (runner._events.PublishesImageStoredEvents)
            {
                await runner._events.PublishImageStoredAsync(Job, image, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task FinishOwnedAsync(JobError? error, CancellationToken cancellationToken)
        {
            try
            {
                await WriteOwnedAsync(job => ApplyTerminal(job, error), cancellationToken).ConfigureAwait(false);
            }
            catch (LeaseLostException) when (Job.IsTerminal)
            {
                // Someone else finished it; make sure its event goes out.
                await EnsurePublishedAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            await PublishClaimedAsync(cancellationToken).ConfigureAwait(false);
        }

        private async Task EnsurePublishedAsync(CancellationToken cancellationToken)
        {
            while (Job.TerminalEvent is { PublishedAt: null } terminal)
            {
                var now = Now;
                if (terminal.ClaimedBy is not null && terminal.ClaimedBy != owner && terminal.ClaimExpiresAt > now)
                {
                    await DeferAsync(terminal.ClaimExpiresAt.Value - now, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var claimed = terminal.ClaimedBy == owner || await TryWriteAsync(job =>
                {
                    job.TerminalEvent!.ClaimedBy = owner;
                    job.TerminalEvent.ClaimExpiresAt = now + PublishClaimDuration;
                }, cancellationToken).ConfigureAwait(false);
                if (claimed)
                {
                    await PublishClaimedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }

        /// <summary>Publishes the terminal event this delivery claimed (by writing it, or claiming it), then marks it published.</summary>
        private async Task PublishClaimedAsync(CancellationToken cancellationToken)
        {
            await runner._events.PublishTerminalAsync(Job, cancellationToken).ConfigureAwait(false);
            runner._logger.LogInformation("Job {JobId} ended {Status}; event {EventId} published.", Job.Id, Job.Status, Job.TerminalEvent!.Id);
            var publishedAt = Now;
            while (Job.TerminalEvent is { PublishedAt: null })
            {
                await TryWriteAsync(job =>
                {
                    job.TerminalEvent!.PublishedAt = publishedAt;
                    job.TerminalEvent.ClaimedBy = null;
                    job.TerminalEvent.ClaimExpiresAt = null;
                }, CancellationToken.None).ConfigureAwait(false);
            }
        }

        private void ApplyTerminal(GenerationJob job, JobError? error)
        {
            var now = Now;
            MarkUnreadRestLost(job);
            job.Usage ??= job.Answer?.Usage;
            var status = job.Images.Count == 0 ? JobStatus.Failed
                : job.Failures.Count == 0 ? JobStatus.Succeeded
                : JobStatus.PartiallySucceeded;
            if (status == JobStatus.Failed)
            {
                error ??= job.Error ?? (job.Failures.Count > 0
                    ? new JobError(job.Failures[0].Code, job.Failures[0].Message) { Advice = AdviceForImageFailure(job.Failures[0].Code) }
                    : new JobError("NoImagesGenerated", "Seedream returned no images for this request."));
            }
            else
            {
                error = null;
            }

            job.Cost = runner._costs.Calculate(job, RequestedModel(job), InputImageCount(job));
            JobFactory.End(job, status, error, now, new EventClaim(owner, now + PublishClaimDuration));
        }

        /// <summary>An answer whose reading was interrupted: the rest of the series is lost (never regenerated).</summary>
        private static void MarkUnreadRestLost(GenerationJob job)
        {
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

        private async Task DeferAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            var wait = delay + TimeSpan.FromSeconds(1);
            runner._logger.LogInformation("Job {JobId} is busy in another delivery; checking again in {Delay}.", Job.Id, wait);
            await runner._queue.EnqueueAsync(Job.Id, Job.TraceParent, wait, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Compare-and-swap on the record; on conflict reloads and returns false so the caller decides again.</summary>
        private async Task<bool> TryWriteAsync(Action<GenerationJob> change, CancellationToken cancellationToken)
        {
            change(Job);
            var written = await runner._jobs.TryReplaceAsync(_stored, cancellationToken).ConfigureAwait(false);
            if (written is not null)
            {
                _stored = written;
                return true;
            }

            await ReloadAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        /// <summary>A write by the lease owner, renewing the lease; if another delivery took the job over, stops this one.</summary>
        private async Task WriteOwnedAsync(Action<GenerationJob> change, CancellationToken cancellationToken)
        {
            while (true)
            {
                var written = await TryWriteAsync(job =>
                {
                    change(job);
                    if (!job.IsTerminal)
                    {
                        job.Lease = NewLease();
                    }
                }, cancellationToken).ConfigureAwait(false);
                if (written)
                {
                    return;
                }

                if (Job.IsTerminal || Job.Lease?.Owner != owner)
                {
                    throw new LeaseLostException();
                }
            }
        }

        private async Task ReloadAsync(CancellationToken cancellationToken) =>
            _stored = await runner._jobs.GetAsync(Job.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Job {Job.Id} disappeared while it was being processed.");

        private JobLease NewLease() => new(owner, Now + runner._options.LeaseDuration);

        private static void AddFailure(GenerationJob job, int index, string code, string message)
        {
            if (!job.IsSettled(index))
            {
                job.Failures.Add(new ImageFailure(index, code, message));
                job.Failures.Sort((a, b) => a.Index.CompareTo(b.Index));
            }
        }

        private static int NextIndex(GenerationJob job) =>
            new[] { -1 }
                .Concat(job.Images.Select(i => i.Index))
                .Concat(job.Failures.Select(f => f.Index))
                .Concat(job.Answer?.Items.Select(i => i.Index) ?? [])
                .Max() + 1;

        /// <summary>The most images the request can produce: one unless sequential generation is on (references count against 15).</summary>
        private static int MaxImages(GenerationJob job)
        {
            if (job.Request?.SequentialImageGeneration != "auto")
            {
                return 1;
            }

            var maxImages = job.Request.SequentialImageGenerationOptions?.MaxImages ?? 15;
            return Math.Min(maxImages, 15 - InputImageCount(job));
        }

        private static int InputImageCount(GenerationJob job) => job.Request?.Image?.Count ?? 0;

        private static string? RequestedModel(GenerationJob job) => job.Request?.Model;

        private static string? ModelName(GenerationJob job) => job.Answer?.Model ?? RequestedModel(job);

        private static string FallbackContentType(GenerationJob job) => job.Request?.OutputFormat == "png" ? "image/png" : "image/jpeg";

        /// <summary>The Seedream failure behind <paramref name="e"/> when retrying cannot help (bad content, expired URL, too large).</summary>
        private static SeedreamException? PermanentFailure(Exception e)
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

        private static string? AdviceForImageFailure(string code) =>
            code.Contains("SensitiveContent", StringComparison.Ordinal)
                ? "Content moderation refused the output; change the prompt or the reference images."
                : code == ResultLostCode ? "Submit the request again; the lost images were not regenerated to avoid paying twice." : null;

        private static bool IsTransportFailure(string code) =>
            code is SeedreamException.ResponseTruncatedCode or SeedreamException.InvalidResponseCode or SeedreamException.TimeoutCode or SeedreamException.NetworkErrorCode;

        private static JobError ErrorFrom(SeedreamException e) => new(e.ErrorCode ?? $"Http{e.Status}", e.Message)
        {
            Advice = e.Advice,
            SeedreamStatus = e.Status == 0 ? null : e.Status,
            SeedreamRequestId = e.RequestId,
            Fields = e.ValidationErrors.Count == 0 ? null
                : e.ValidationErrors.GroupBy(v => v.Param).ToDictionary(g => g.Key, g => g.Select(v => v.Message).ToArray()),
        };

        private static JobError OutcomeUnknownError(SeedreamException? cause = null) => new(OutcomeUnknownCode,
            "The generation call may have reached Seedream, but its answer was lost. It is not repeated automatically because Seedream bills every generation; "
            + "submit the request again, or set Pipeline:RegenerateWhenOutcomeUnknown=true to regenerate in this case."
            + (cause is null ? string.Empty : $" Cause: {cause.Message}"))
        {
            SeedreamRequestId = cause?.RequestId,
        };
    }
}
