using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;
using Seedream.Functions.Pacing;

namespace Seedream.Functions.Processing;

/// <summary>
/// One delivery's run of a job: the state machine over <see cref="GenerationPhase"/> that decides, from the record
/// alone, whether this delivery may call Seedream, resume storing an answer, end the job or only (re)publish its event.
/// Storage goes through <see cref="JobWriter"/> (compare-and-swap), images through <see cref="ImageIngest"/>, the
/// event through <see cref="TerminalEventOutbox"/>, and every decision comes from <see cref="JobOutcomeRules"/>.
/// </summary>
internal sealed class GenerationExecution
{
    private readonly GenerationRunner.Services _services;
    private readonly JobWriter _writer;
    private readonly GenerationPriority _priority;

    public GenerationExecution(GenerationRunner.Services services, JobWriter writer, GenerationPriority priority = GenerationPriority.Interactive)
    {
        _services = services;
        _writer = writer;
        _priority = priority;
    }

    public GenerationJob Job => _writer.Job;

    private ILogger Logger => _services.Logger;

    /// <summary>Advances the job as far as this delivery may.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = _writer.Now;
            if (Job.IsTerminal)
            {
                await _services.Outbox.EnsurePublishedAsync(_writer, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (Job.Lease is { } lease && lease.IsLive(now) && lease.Owner != _writer.Owner)
            {
                // Another delivery is working on it: look again once its lease has run out (the watchdog).
                await _services.Recheck.ScheduleAsync(Job, lease.ExpiresAt - now, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (Job.CancelRequestedAt is not null)
            {
                // Cancelled while a delivery ran it, and that delivery is gone: end it as the cancel asked.
                if (await _writer.TryWriteAsync(job => Complete(job, error: null), cancellationToken).ConfigureAwait(false))
                {
                    await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                continue;
            }

            if (JobOutcomeRules.HasExpired(Job, now))
            {
                if (await _writer.TryWriteAsync(Expire, cancellationToken).ConfigureAwait(false))
                {
                    await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                continue;
            }

            switch (Job.Phase)
            {
                case GenerationPhase.NotStarted:
                    if (await _services.Pacing.FindPauseAsync(Job, cancellationToken).ConfigureAwait(false) is { } pause)
                    {
                        // Seedream said the account or model is out of quota: end now with its advice, without calling.
                        if (await _writer.TryWriteAsync(job => Complete(job, pause.Error), cancellationToken).ConfigureAwait(false))
                        {
                            await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        break;
                    }

                    var decision = await _services.Pacing.AcquireAsync(Job, _priority, cancellationToken).ConfigureAwait(false);
                    if (decision.Grant is not { } grant)
                    {
                        await WaitForCapacityAsync(CapacityWaitReasons.Paced, decision.Wait, countsAsRefusal: false, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    var claimed = await _writer.TryWriteAsync(job =>
                    {
                        job.Phase = GenerationPhase.Requested;
                        job.Status = JobStatus.Running;
                        job.StartedAt ??= now;
                        job.GenerationAttempts++;
                        // A refusal's wait keeps its start across the calls it retries, so Pacing:MaxWait can end it.
                        job.WaitingForCapacity = job.WaitingForCapacity is { Reason: not CapacityWaitReasons.Paced } refused ? refused : null;
                        job.Lease = _writer.NewLease();
                    }, cancellationToken).ConfigureAwait(false);
                    if (claimed)
                    {
                        await GenerateAsync(grant, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    await grant.CompleteAsync(PacingOutcome.NotSent).ConfigureAwait(false);
                    break;

                case GenerationPhase.Requested when _services.Options.RegenerateWhenOutcomeUnknown:
                    Logger.LogWarning("Job {JobId}: the outcome of its generation call is unknown; generating again as configured.", Job.Id);
                    await _writer.TryWriteAsync(job =>
                    {
                        job.Phase = GenerationPhase.NotStarted;
                        job.Lease = null;
                    }, cancellationToken).ConfigureAwait(false);
                    break;

                case GenerationPhase.Requested:
                    if (await _writer.TryWriteAsync(job => Complete(job, JobOutcomeRules.OutcomeUnknownError()), cancellationToken).ConfigureAwait(false))
                    {
                        await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    break;

                case GenerationPhase.Answered:
                    if (await _writer.TryWriteAsync(job => job.Lease = _writer.NewLease(), cancellationToken).ConfigureAwait(false))
                    {
                        await StoreAnsweredImagesAsync(cancellationToken).ConfigureAwait(false);
                        await FinishOwnedAsync(error: null, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>Ends a job whose message exhausted its retries: what is stored stays, the rest is failed.</summary>
    public async Task AbandonAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = _writer.Now;
            if (Job.IsTerminal)
            {
                await _services.Outbox.EnsurePublishedAsync(_writer, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (Job.Phase == GenerationPhase.Requested && Job.Lease is { } lease && lease.IsLive(now))
            {
                // A generation call may still be answered: leave the decision to the watchdog.
                await _services.Recheck.ScheduleAsync(Job, lease.ExpiresAt - now, cancellationToken).ConfigureAwait(false);
                return;
            }

            var ended = await _writer.TryWriteAsync(job =>
            {
                if (JobOutcomeRules.HasExpired(job, now))
                {
                    Expire(job);
                }
                else
                {
                    Complete(job, job.CancelRequestedAt is null ? JobOutcomeRules.RecordRetriesExhausted(job) : null);
                }
            }, cancellationToken).ConfigureAwait(false);
            if (ended)
            {
                await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    public Task ReleaseAfterFailureAsync() => _writer.ReleaseAfterFailureAsync();

    /// <summary>
    /// Cancels the job: a job no delivery is running ends cancelled here and now (nothing is paid if it was not sent);
    /// a running one gets the cancel recorded, and its delivery stops before its next image and ends it.
    /// </summary>
    public async Task<CancelOutcome> CancelAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = _writer.Now;
            if (Job.IsTerminal)
            {
                return CancelOutcome.AlreadyEnded;
            }

            // A status written by a newer version (rolling deploy), or a delivery running it: only record the cancel.
            if (Job.Status == JobStatus.Unknown || (Job.Lease is { } lease && lease.IsLive(now) && lease.Owner != _writer.Owner))
            {
                if (Job.CancelRequestedAt is not null || await _writer.TryWriteAsync(job => job.CancelRequestedAt = now, cancellationToken).ConfigureAwait(false))
                {
                    Logger.LogInformation("Job {JobId}: cancel recorded; the running delivery stops before its next image.", Job.Id);
                    return CancelOutcome.Requested;
                }

                continue;
            }

            var ended = await _writer.TryWriteAsync(job =>
            {
                job.CancelRequestedAt ??= now;
                Complete(job, error: null);
            }, cancellationToken).ConfigureAwait(false);
            if (ended)
            {
                try
                {
                    await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The job is cancelled either way; a queue delivery publishes the event (the outbox takes over the claim).
                    Logger.LogWarning(e, "Job {JobId}: the Cancelled event could not be published now; the queue will publish it.", Job.Id);
                    await _writer.ReleaseAfterFailureAsync().ConfigureAwait(false);
                    await _services.Recheck.ScheduleAsync(Job, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
                }

                return CancelOutcome.Cancelled;
            }
        }
    }

    /// <summary>This delivery saw a cancel recorded on the job it runs: it ends the job cancelled, keeping what was stored.</summary>
    public Task EndCancelledAsync(CancellationToken cancellationToken) => FinishOwnedAsync(error: null, cancellationToken);

    private async Task GenerateAsync(PacingGrant grant, CancellationToken cancellationToken)
    {
        var outcome = PacingOutcome.NotSent;
        try
        {
            outcome = await GenerateAndReportAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await grant.CompleteAsync(outcome).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Puts the job back to waiting outside the worker: status <c>queued</c>, a new delayed message in its queue, and this
    /// delivery ends normally, so the wait never counts toward the poison threshold.
    /// </summary>
    private async Task WaitForCapacityAsync(string reason, TimeSpan wait, bool countsAsRefusal, CancellationToken cancellationToken)
    {
        var now = _writer.Now;
        // A job the pacer keeps waiting is written once (not at every look), so waiting costs no record writes.
        var alreadyRecorded = !countsAsRefusal && Job.WaitingForCapacity?.Reason == reason && Job.Lease is null;
        while (!alreadyRecorded && !await _writer.TryWriteAsync(job =>
        {
            job.Phase = GenerationPhase.NotStarted;
            job.Status = JobStatus.Queued;
            job.Lease = null;
            job.CapacityWaits += countsAsRefusal ? 1 : 0;
            job.WaitingForCapacity = new CapacityWait(reason, job.WaitingForCapacity?.Since ?? now, now + wait);
        }, CancellationToken.None).ConfigureAwait(false))
        {
            if (Job.IsTerminal || (Job.Lease is { } lease && lease.IsLive(now) && lease.Owner != _writer.Owner))
            {
                // Another delivery took the job on or ended it meanwhile: that one decides, and no copy is needed.
                return;
            }
        }

        Logger.LogInformation("Job {JobId}: waiting {Wait} for Seedream capacity ({Reason}).", Job.Id, wait, reason);
        await _services.Pacing.RequeueAsync(Job, _priority, wait, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PacingOutcome> GenerateAndReportAsync(CancellationToken cancellationToken)
    {
        var request = Job.Request!;
        var started = _services.Time.GetTimestamp();
        // Tags at start, so that listeners see the job on ActivityStarted; the default context parents it on the delivery.
        using (var activity = PipelineTelemetry.ActivitySource.StartActivity(PipelineTelemetry.SeedreamGenerateActivity, ActivityKind.Client, default(ActivityContext),
            [new(PipelineTelemetry.JobIdTag, Job.Id), new(PipelineTelemetry.ModelTag, request.Model)]))
        {
            ImageGenerationResponse response;
            // Last look before paying: a cancel recorded since the claim ends the job here, unpaid (one conditional read).
            await _writer.ThrowIfNoLongerOwnedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Logger.LogInformation("Job {JobId}: sending the generation request to Seedream (attempt {Attempt}).", Job.Id, Job.GenerationAttempts);
                response = await _services.Seedream.GenerateImagesAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (SeedreamException e) when (_services.Pacing.Enabled && RateLimitRefusal.Classify(e) == RefusalKind.RateLimited)
            {
                // Nothing was generated or billed: wait outside the worker, longer after each refusal.
                activity?.SetStatus(ActivityStatusCode.Error, e.ErrorCode);
                if (_services.Pacing.HasWaitedTooLong(Job, _writer.Now))
                {
                    Logger.LogWarning("Job {JobId}: Seedream kept answering {Code} for {MaxWait}; the job fails.", Job.Id, e.ErrorCode, _services.Pacing.MaxWait);
                    await FinishOwnedAsync(RateLimitRefusal.GaveUpWaiting(e, _services.Pacing.MaxWait), cancellationToken).ConfigureAwait(false);
                    return PacingOutcome.RateLimited;
                }

                await WaitForCapacityAsync(e.ErrorCode ?? "Http429", _services.Pacing.BackoffAfterRefusal(Job.CapacityWaits + 1), countsAsRefusal: true, cancellationToken).ConfigureAwait(false);
                return PacingOutcome.RateLimited;
            }
            catch (SeedreamException e) when (_services.Pacing.Enabled && RateLimitRefusal.Classify(e) == RefusalKind.QuotaOrPaused)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.ErrorCode);
                var error = RateLimitRefusal.QuotaError(e);
                Logger.LogWarning("Job {JobId}: Seedream answered {Code}; jobs of {Model} fail with its advice for a while.", Job.Id, e.ErrorCode, request.Model);
                await _services.Pacing.PauseAsync(Job, error, cancellationToken).ConfigureAwait(false);
                await FinishOwnedAsync(error, cancellationToken).ConfigureAwait(false);
                return PacingOutcome.NotSent;
            }
            catch (SeedreamException e)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.ErrorCode);
                switch (JobOutcomeRules.OnGenerationFailure(e, _services.Options.RegenerateWhenOutcomeUnknown))
                {
                    case GenerationFailureAction.Fail:
                        Logger.LogWarning("Job {JobId}: Seedream refused the request ({Status} {Code}).", Job.Id, e.Status, e.ErrorCode);
                        await FinishOwnedAsync(JobOutcomeRules.ErrorFrom(e), cancellationToken).ConfigureAwait(false);
                        return PacingOutcome.Answered;
                    case GenerationFailureAction.FailAnswered:
                        Logger.LogWarning("Job {JobId}: Seedream answered {Status} {Code}; the call is not repeated (it may have been billed).", Job.Id, e.Status, e.ErrorCode);
                        await FinishOwnedAsync(JobOutcomeRules.AnsweredFailureError(e), cancellationToken).ConfigureAwait(false);
                        return PacingOutcome.Answered;
                    case GenerationFailureAction.FailOutcomeUnknown:
                        Logger.LogError(e, "Job {JobId}: the generation call may have reached Seedream but its answer was lost.", Job.Id);
                        await FinishOwnedAsync(JobOutcomeRules.OutcomeUnknownError(e), cancellationToken).ConfigureAwait(false);
                        return PacingOutcome.Answered;
                    default:
                        // Nothing can have been generated (a 429, or never sent): free the job, and the queue retries with backoff. Should another
                        // delivery have taken it over meanwhile, that one decides.
                        await _writer.TryWriteAsync(job =>
                        {
                            job.Phase = GenerationPhase.NotStarted;
                            job.LastTransientError = JobOutcomeRules.ErrorFrom(e);
                            job.Lease = null;
                        }, CancellationToken.None).ConfigureAwait(false);
                        throw;
                }
            }

            await using (response.ConfigureAwait(false))
            {
                await ReadAnswerAsync(request, response, cancellationToken).ConfigureAwait(false);
            }

            await StoreAnsweredImagesAsync(cancellationToken).ConfigureAwait(false);
            _services.Metrics.GenerationFinished(_services.Time.GetElapsedTime(started), JobOutcomeRules.ModelName(Job));
        }

        await FinishOwnedAsync(error: null, cancellationToken).ConfigureAwait(false);
        return PacingOutcome.Answered;
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
        await _writer.WriteOwnedAsync(job =>
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
                    await _writer.WriteOwnedAsync(job => JobOutcomeRules.AddFailure(job, image.Index, error.Code, error.Message), cancellationToken).ConfigureAwait(false);
                }
                else if (answer.Inline)
                {
                    await _services.Ingest.StoreAsync(_writer, IncomingImage.Inline(image), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var item = new AnsweredImage(image.Index, image.Url!, image.Width, image.Height);
                    answer.Items.Add(item);
                    if (response.IsStreaming)
                    {
                        // A stream delivers one URL per event, minutes apart for a group: persist this URL, then store
                        // its image now rather than after the last event. A crash in between resumes from the record.
                        await _writer.WriteOwnedAsync(job => job.Answer = answer, cancellationToken).ConfigureAwait(false);
                        await _services.Ingest.StoreAsync(_writer, IncomingImage.Download(item, _services.Seedream, JobOutcomeRules.FallbackContentType(Job)), cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
            }

            answer.Model ??= response.Model;
            answer.Usage = response.Usage is { } usage
                ? new JobUsage(usage.GeneratedImages, usage.OutputTokens, usage.TotalTokens, usage.InputImages)
                : null;
            answer.Complete = true;
        }
        catch (Exception e) when (e is not OperationCanceledException and not LeaseLostException and not CancelRequestedException)
        {
            Logger.LogWarning(e, "Job {JobId}: reading the Seedream response failed.", Job.Id);
            answer.Complete = true;
            await _writer.WriteOwnedAsync(job =>
            {
                job.Answer = answer;
                JobOutcomeRules.RecordBrokenResponse(job, e);
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
        await _writer.WriteOwnedAsync(job =>
        {
            job.Answer = answer;
            job.Usage = answer.Usage;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams every persisted result URL not yet settled into its blob.</summary>
    private async Task StoreAnsweredImagesAsync(CancellationToken cancellationToken)
    {
        if (Job.Answer is { Complete: false })
        {
            await _writer.WriteOwnedAsync(JobOutcomeRules.MarkUnreadRestLost, cancellationToken).ConfigureAwait(false);
        }

        var fallbackContentType = JobOutcomeRules.FallbackContentType(Job);
        foreach (var item in Job.Answer?.Items.ToList() ?? [])
        {
            if (!Job.IsSettled(item.Index))
            {
                await _services.Ingest.StoreAsync(_writer, IncomingImage.Download(item, _services.Seedream, fallbackContentType), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends the job this delivery owns and publishes its event; if another delivery ended it first, makes sure that event goes out.</summary>
    private async Task FinishOwnedAsync(JobError? error, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.WriteOwnedAsync(job => Complete(job, error), cancellationToken).ConfigureAwait(false);
        }
        catch (LeaseLostException) when (Job.IsTerminal)
        {
            await _services.Outbox.EnsurePublishedAsync(_writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        await PublishEndedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a run: the status from what was stored and failed, its error, usage and cost, and the claimed terminal event.</summary>
    private void Complete(GenerationJob job, JobError? error)
    {
        if (job.CancelRequestedAt is null)
        {
            // A cancelled run stopped reading on purpose: nothing it did not read counts as lost.
            JobOutcomeRules.MarkUnreadRestLost(job);
        }

        job.Usage ??= job.Answer?.Usage;
        var status = JobOutcomeRules.CompletedStatus(job);
        End(job, status, JobOutcomeRules.ErrorFor(job, status, error));
    }

    /// <summary>The deadline passed before the Seedream call was sent: the job ends expired, and nothing was paid.</summary>
    private void Expire(GenerationJob job) => End(job, JobStatus.Expired, JobOutcomeRules.ExpiredError(job));

    private void End(GenerationJob job, JobStatus status, JobError? error)
    {
        job.Cost = _services.Costs.Calculate(job, job.Request?.Model, JobOutcomeRules.InputImageCount(job));
        JobFactory.End(job, status, error, _writer.Now, TerminalEventOutbox.NewClaim(_writer));
    }

    private async Task PublishEndedAsync(CancellationToken cancellationToken)
    {
        Logger.LogInformation("Job {JobId} ended {Status} ({Images} images stored, {Failures} failed).",
            Job.Id, JobStatusNames.NameOf(Job.Status), Job.Images.Count, Job.Failures.Count);
        await _services.Outbox.PublishClaimedAsync(_writer, cancellationToken).ConfigureAwait(false);
    }
}
