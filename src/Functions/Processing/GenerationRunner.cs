using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;
using Seedream.Functions.Pacing;

namespace Seedream.Functions.Processing;

/// <summary>
/// Runs a job to its one terminal event without ever paying twice. Every step is a compare-and-swap on the job record
/// (ETags), so concurrent or repeated deliveries of the same job agree on who does what. This class is the entry
/// point; the work is split along its seams (see docs/architecture.md): <see cref="GenerationExecution"/> (the state
/// machine), <see cref="JobWriter"/> (leases and CAS writes), <see cref="ImageIngest"/> (images into blobs),
/// <see cref="TerminalEventOutbox"/> (the terminal event) and <see cref="JobOutcomeRules"/> (the decisions).
/// </summary>
public sealed class GenerationRunner
{
    public const string OutcomeUnknownCode = JobOutcomeRules.OutcomeUnknownCode;
    public const string ResultLostCode = JobOutcomeRules.ResultLostCode;
    public const string RetriesExhaustedCode = JobOutcomeRules.RetriesExhaustedCode;

    private readonly Services _services;

    internal GenerationRunner(Services services) => _services = services;

    /// <summary>Advances the job as far as this delivery may: generate, resume downloads, finish or (re)publish. False when there is no such job.</summary>
    public Task<bool> RunAsync(string jobId, CancellationToken cancellationToken) =>
        RunAsync(jobId, GenerationPriority.Interactive, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string, CancellationToken)"/>, paced at <paramref name="priority"/>: the triggers run
    /// interactive work; backlogs (batches) pass <see cref="GenerationPriority.Bulk"/>, which leaves part of the
    /// model's budget to interactive submissions.
    /// </summary>
    public Task<bool> RunAsync(string jobId, GenerationPriority priority, CancellationToken cancellationToken) =>
        ExecuteAsync(jobId, PipelineTelemetry.ProcessGenerationActivity, (execution, ct) => execution.RunAsync(ct), cancellationToken, priority);

    /// <summary>Ends a job whose message exhausted its retries: what is stored stays, the rest is failed. False when there is no such job.</summary>
    public Task<bool> AbandonAsync(string jobId, CancellationToken cancellationToken) =>
        ExecuteAsync(jobId, PipelineTelemetry.AbandonGenerationActivity, (execution, ct) => execution.AbandonAsync(ct), cancellationToken);

    /// <summary>
    /// Cancels <paramref name="stored"/> (see <see cref="GenerationExecution.CancelAsync"/>): ended now, recorded for
    /// the delivery running it, or already ended. The job as it stands afterwards comes with the outcome.
    /// </summary>
    public async Task<CancelResult> CancelAsync(StoredJob stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        using var activity = PipelineTelemetry.StartJobActivity(PipelineTelemetry.CancelGenerationActivity, stored.Job.Id, stored.Job.TraceParent, ActivityKind.Internal);
        var execution = new GenerationExecution(_services, _services.NewWriter(stored));
        var outcome = await execution.CancelAsync(cancellationToken).ConfigureAwait(false);
        activity.SetTag("seedream.cancel.outcome", outcome.ToString());
        return new CancelResult(outcome, execution.Job);
    }

    private async Task<bool> ExecuteAsync(string jobId, string activityName, Func<GenerationExecution, CancellationToken, Task> step, CancellationToken cancellationToken,
        GenerationPriority priority = GenerationPriority.Interactive)
    {
        var stored = await _services.Jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return false;
        }

        if (stored.Job.Status == JobStatus.Unknown)
        {
            // Written by a newer version during a rolling deploy: this one cannot tell what the status allows (running it
            // could pay twice), so it leaves the record alone and the queue redelivers, to a newer worker in the end.
            throw new InvalidOperationException($"Job {jobId} has status '{stored.Job.StatusName}', which this version does not know; left to a newer version.");
        }

        using var activity = PipelineTelemetry.StartJobActivity(activityName, jobId, stored.Job.TraceParent);
        var execution = new GenerationExecution(_services, _services.NewWriter(stored), priority);
        try
        {
            try
            {
                await step(execution, cancellationToken).ConfigureAwait(false);
            }
            catch (CancelRequestedException)
            {
                await execution.EndCancelledAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (LeaseLostException)
        {
            _services.Logger.LogDebug("Job {JobId} was taken over by another delivery; this one stops.", jobId);
        }
        catch (Exception e)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            _services.Logger.LogWarning(e, "Processing job {JobId} failed; the queue will retry.", jobId);
            await execution.ReleaseAfterFailureAsync().ConfigureAwait(false);
            throw;
        }

        return true;
    }

    /// <summary>What a run needs, resolved once from DI.</summary>
    internal sealed record Services(
        JobStore Jobs,
        ImageIngest Ingest,
        TerminalEventOutbox Outbox,
        JobRecheck Recheck,
        PacingGate Pacing,
        SeedreamClient Seedream,
        CostCalculator Costs,
        PipelineMetrics Metrics,
        IOptions<PipelineOptions> PipelineOptions,
        TimeProvider Time,
        ILogger<GenerationRunner> Logger)
    {
        public PipelineOptions Options => PipelineOptions.Value;

        /// <summary>A writer with a fresh owner id: one per delivery.</summary>
        public JobWriter NewWriter(StoredJob stored) =>
            new(Jobs, Time, Options.LeaseDuration, Logger, Guid.NewGuid().ToString("N"), stored);
    }
}

/// <summary>How a cancel went.</summary>
public enum CancelOutcome
{
    /// <summary>The job ended cancelled now (before its Seedream call, or after the delivery running it was gone).</summary>
    Cancelled,

    /// <summary>A delivery is running the job: the cancel is recorded; it stops before its next image and ends the job cancelled.</summary>
    Requested,

    /// <summary>The job had already ended; nothing changed.</summary>
    AlreadyEnded,
}

/// <summary>A cancel's outcome and the job as it stands after it.</summary>
public sealed record CancelResult(CancelOutcome Outcome, GenerationJob Job);
