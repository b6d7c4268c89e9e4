using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Batches;

/// <summary>
/// Reads a staged batch input and makes one job per valid line, checkpointing after each chunk of lines (next offset and
/// line number in the record). A redelivery after a crash starts from the last checkpoint: the chunk it redoes finds the
/// jobs it made (their ids come from the batch and the custom_id), enqueues them again (a duplicate reference is
/// harmless) and writes the same error chunk. Lines before the checkpoint are read again only for their custom_ids, so
/// that duplicates are still caught.
/// </summary>
public sealed class BatchFanOutService
{
    private readonly BatchStore _batches;
    private readonly JobStore _jobs;
    private readonly SubmissionIntake _intake;
    private readonly BatchCostEstimator _estimator;
    private readonly BatchOptions _options;
    private readonly BatchWindow _window;
    private readonly IntakeOptions _intakeOptions;
    private readonly PipelineOptions _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchFanOutService> _logger;

    public BatchFanOutService(
        BatchStore batches, JobStore jobs, SubmissionIntake intake, BatchCostEstimator estimator, IOptions<BatchOptions> options,
        IOptions<IntakeOptions> intakeOptions, IOptions<PipelineOptions> pipeline, TimeProvider time, ILogger<BatchFanOutService> logger)
    {
        _batches = batches;
        _jobs = jobs;
        _intake = intake;
        _estimator = estimator;
        _options = options.Value;
        _window = new BatchWindow(_options.MaxJobsAhead);
        _intakeOptions = intakeOptions.Value;
        _pipeline = pipeline.Value;
        _time = time;
        _logger = logger;
    }

    public async Task RunAsync(string batchId, CancellationToken cancellationToken)
    {
        if (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            _logger.LogWarning("Batch {BatchId}: no record; the fan-out message is dropped.", batchId);
            return;
        }

        if (!stored.Batch.FanOut.Completed && !await FanOutAsync(batchId, stored.Batch, cancellationToken).ConfigureAwait(false))
        {
            // Paused (the window is full; a job end or the resume check sends the fan-out again) or overtaken by another delivery.
            return;
        }

        // Every line is settled or running: the recount loop ends the batch once its jobs have ended.
        await _batches.SendAsync(_batches.Control, BatchControlMessage.Check(batchId, 0), delay: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads on from the checkpoint while the window has room; true once the input is read.</summary>
    private async Task<bool> FanOutAsync(string batchId, BatchRecord batch, CancellationToken cancellationToken)
    {
        var checkpoint = batch.FanOut;
        var room = await RoomAsync(batchId, checkpoint.NextLine, batch, cancellationToken).ConfigureAwait(false);
        if (room == 0)
        {
            return false;
        }

        var seen = new HashSet<UInt128>();
        var maxLineBytes = (int)Math.Min(int.MaxValue - 1, _pipeline.MaxRequestBodyBytes + 4096);
        var input = await _batches.Input(batchId).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 1024 * 1024 }, cancellationToken).ConfigureAwait(false);
        await using (input.ConfigureAwait(false))
        {
            var chunk = new List<BatchInputLine>();
            long chunkBytes = 0;
            await foreach (var line in BatchLineReader.ReadAsync(input, 0, 1, maxLineBytes, cancellationToken).ConfigureAwait(false))
            {
                if (line.Number < checkpoint.NextLine)
                {
                    // Already fanned out: only its custom_id matters now, for the duplicate check.
                    if (line.Number <= _options.MaxLines && BatchLine.Parse(line, _intakeOptions.MaxDepth).CustomId is { } earlier)
                    {
                        seen.Add(BatchLine.Digest(earlier));
                    }

                    continue;
                }

                chunk.Add(line);
                chunkBytes += line.Content?.Length ?? 0;
                // Each line makes at most one job, so a chunk no longer than the room keeps the window.
                if (chunk.Count >= Math.Min(_options.ChunkLines, room) || chunkBytes >= _options.ChunkBytes)
                {
                    if (await ProcessChunkAsync(batchId, chunk, seen, final: false, cancellationToken).ConfigureAwait(false) is not { } written)
                    {
                        return false;
                    }

                    chunk.Clear();
                    chunkBytes = 0;
                    room = await RoomAsync(batchId, written.FanOut.NextLine, written, cancellationToken).ConfigureAwait(false);
                    if (room == 0)
                    {
                        return false;
                    }
                }
            }

            return await ProcessChunkAsync(batchId, chunk, seen, final: true, cancellationToken).ConfigureAwait(false) is not null;
        }
    }

    /// <summary>
    /// Lines the fan-out may read now. When the window is full the fan-out pauses (recorded with the checkpoint it stopped
    /// at, compare-and-swap) and 0 is returned; also 0 when another delivery has moved the checkpoint on or paused it.
    /// </summary>
    private async Task<int> RoomAsync(string batchId, int nextLine, BatchRecord batch, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!batch.FanOut.Paused && _window.Room(batch, now) is > 0 and var room)
        {
            return room;
        }

        var (go, paused) = (false, false);
        var stored = await _batches.UpdateAsync(batchId, record =>
        {
            (go, paused) = (false, false);
            if (record.FanOut.Completed || record.FanOut.NextLine != nextLine)
            {
                return false;
            }

            if (_window.CanResume(record, now))
            {
                // Jobs ended since the checkpoint (or this is a redelivery of a paused fan-out that may go on now).
                go = true;
                if (!record.FanOut.Paused)
                {
                    return false;
                }

                BatchWindow.Resume(record, now);
                return true;
            }

            paused = true;
            if (record.FanOut.Paused)
            {
                // A redelivery of the delivery that paused: its resume check may not have been sent.
                return false;
            }

            record.FanOut.Paused = true;
            record.FanOut.Pauses++;
            record.FanOut.PausedAt = now;
            record.FanOut.PausedAtLine = nextLine;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (go && stored is not null)
        {
            return Math.Max(1, _window.Room(stored.Batch, now));
        }

        if (paused && stored is not null)
        {
            _logger.LogInformation("Batch {BatchId}: fan-out paused at line {Line} with {Unfinished} jobs unfinished (Batches:MaxJobsAhead {Max}).",
                batchId, nextLine, stored.Batch.Tally.Unfinished, _options.MaxJobsAhead);
            // The backstop for a resume lost in a crash between a job's end and its message: recounts until the fan-out moves.
            await _batches.SendAsync(_batches.Control, BatchControlMessage.Resume(batchId, stored.Batch.FanOut.Pauses), _options.CheckInterval, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Submits a chunk and checkpoints it; the record as written, or null when another delivery checkpointed these lines first.</summary>
    private async Task<BatchRecord?> ProcessChunkAsync(string batchId, List<BatchInputLine> lines, HashSet<UInt128> seen, bool final, CancellationToken cancellationToken)
    {
        var stored = await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Batch {batchId} vanished during its fan-out.");
        var batch = stored.Batch;
        var now = _time.GetUtcNow();
        var stopCode = batch.IsStopping || batch.CancelRequestedAt is not null ? BatchResultLines.CancelledCode : now >= batch.Deadline ? BatchResultLines.ExpiredCode : null;
        var outcomes = new LineOutcome[lines.Count];

        // Envelopes and duplicates in line order, then the intake and the jobs of the valid lines in parallel.
        var parsed = new BatchLine?[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Number > _options.MaxLines)
            {
                outcomes[i] = LineOutcome.Error(BatchResultLines.LineError(batchId, line.Number, null, BatchResultLines.TooManyLinesCode,
                    $"A batch holds at most {_options.MaxLines} lines; this is line {line.Number}. Submit the rest as another batch.", null));
                continue;
            }

            var envelope = BatchLine.Parse(line, _intakeOptions.MaxDepth);
            if (envelope.CustomId is { } customId && !seen.Add(BatchLine.Digest(customId)))
            {
                outcomes[i] = LineOutcome.Error(BatchResultLines.LineError(batchId, line.Number, customId, BatchResultLines.DuplicateCustomIdCode,
                    $"custom_id '{LogText.Cut(customId, 64)}' was used by an earlier line; every line needs its own custom_id.",
                    Merge(envelope.Problems, "custom_id", "custom_id must be unique in the batch; an earlier line has this one.")));
            }
            else if (stopCode is not null)
            {
                outcomes[i] = LineOutcome.Skip(BatchResultLines.LineError(batchId, line.Number, envelope.CustomId, stopCode,
                    stopCode == BatchResultLines.CancelledCode ? "The batch was cancelled before this line was submitted; nothing was paid for it." : "The batch's completion window ended before this line was submitted.", null), stopCode);
            }
            else if (envelope.Body is null)
            {
                outcomes[i] = LineOutcome.Error(BatchResultLines.LineError(batchId, line.Number, envelope.CustomId, BatchResultLines.InvalidRequestCode,
                    $"Line {line.Number} cannot be run. {envelope.Problems.Summary()}", envelope.Problems.ToDictionary()));
            }
            else
            {
                parsed[i] = envelope;
            }
        }

        await Parallel.ForAsync(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.IntakeConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            if (parsed[i] is { } envelope)
            {
                outcomes[i] = await SubmitAsync(batch, envelope, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        var errors = outcomes.Where(o => o.ErrorLine is not null).ToList();
        var writesChunk = errors.Count > 0;
        if (writesChunk)
        {
            // Overwritten whole on a redo, so a chunk's errors are never written twice.
            using var content = new MemoryStream();
            foreach (var error in errors)
            {
                content.Write(error.ErrorLine);
            }

            content.Position = 0;
            await _batches.ErrorChunk(batchId, batch.FanOut.ErrorChunks).UploadAsync(content, overwrite: true, cancellationToken).ConfigureAwait(false);
        }

        var firstLine = lines.Count > 0 ? lines[0].Number : batch.FanOut.NextLine;
        // Tagged at the start, so that a listener sees which checkpoint is being written.
        var moved = false;
        StoredBatch? written;
        using (var checkpoint = PipelineTelemetry.ActivitySource.StartActivity(BatchTelemetry.CheckpointActivity, ActivityKind.Internal, default(ActivityContext),
            [new(BatchTelemetry.BatchIdTag, batchId), new(BatchTelemetry.LineTag, firstLine)]))
        {
            written = await _batches.UpdateAsync(batchId, record =>
            {
                moved = false;
                if (record.FanOut.Completed || record.FanOut.NextLine != firstLine)
                {
                    return false;
                }

                moved = true;

                if (lines.Count > 0)
                {
                    record.FanOut.NextOffset = lines[^1].End;
                    record.FanOut.NextLine = lines[^1].Number + 1;
                }

                record.FanOut.ErrorChunks += writesChunk ? 1 : 0;
                record.FanOut.Completed = final;
                record.FanOut.Expired |= outcomes.Any(o => o.SkipCode == BatchResultLines.ExpiredCode);
                var tally = record.Tally;
                tally.Lines += lines.Count;
                tally.Invalid += outcomes.Count(o => o.ErrorLine is not null && o.SkipCode is null);
                tally.Skipped += outcomes.Count(o => o.SkipCode == BatchResultLines.CancelledCode);
                tally.SkippedExpired += outcomes.Count(o => o.SkipCode == BatchResultLines.ExpiredCode);
                tally.Accepted += outcomes.Count(o => o.JobId is not null);
                foreach (var outcome in outcomes)
                {
                    record.EstimatedCost = BatchCostEstimator.Add(record.EstimatedCost, outcome.Estimate, estimated: true);
                }

                if (record.Status == BatchStatus.Validating)
                {
                    record.Status = BatchStatus.InProgress;
                    record.StartedAt = _time.GetUtcNow();
                }

                return true;
            }, cancellationToken).ConfigureAwait(false);
            checkpoint?.SetTag(BatchTelemetry.LinesTag, written?.Batch.Tally.Lines);
        }

        if (!moved)
        {
            _logger.LogInformation("Batch {BatchId}: lines from {First} were checkpointed by another delivery; this one stops.", batchId, firstLine);
            return null;
        }

        _logger.LogInformation("Batch {BatchId}: lines {First}-{Last} fanned out ({Jobs} jobs, {Errors} line errors){Final}.",
            batchId, firstLine, firstLine + lines.Count - 1, outcomes.Count(o => o.JobId is not null), errors.Count, final ? "; the input is read" : string.Empty);
        return written!.Batch;
    }

    private async Task<LineOutcome> SubmitAsync(BatchRecord batch, BatchLine envelope, CancellationToken cancellationToken)
    {
        var read = await _intake.ReadAsync(envelope.Body, IntakeOrigin.Http, IntakeContext.None, cancellationToken).ConfigureAwait(false);
        if (read.Submission is not { } submission)
        {
            var fields = read.Problems.ToDictionary().ToDictionary(e => e.Key == IntakeProblems.Root ? "body" : "body." + e.Key, e => e.Value, StringComparer.Ordinal);
            return LineOutcome.Error(BatchResultLines.LineError(batch.Id, envelope.Number, envelope.CustomId, BatchResultLines.InvalidRequestCode,
                $"Line {envelope.Number} cannot succeed with Seedream. {read.Problems.Summary()}", fields));
        }

        var customId = envelope.CustomId!;
        var jobId = BatchJobIds.For(batch.Id, customId);
        var deadline = submission.Deadline is { } own && own < batch.Deadline ? own : batch.Deadline;
        var metadata = new Dictionary<string, string>(submission.Metadata);
        var job = JobFactory.Create(jobId, "batch", submission.Request, submission.BodyHash, metadata, batch.TraceParent ?? PipelineTelemetry.CurrentOrNewTraceParent(null), deadline: deadline);
        job.Batch = new BatchLineReference(batch.Id, customId, envelope.Number);
        var created = await _jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false);
        var current = created?.Job ?? (await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false))?.Job
            ?? throw new InvalidOperationException($"Job {jobId} could neither be created nor read.");
        if (!current.IsTerminal)
        {
            // A redone chunk enqueues its jobs again: the first attempt may have died between the job and its message.
            await _batches.SendAsync(_batches.Generation, new JobReferenceMessage(jobId, current.TraceParent).ToJson(), delay: null, cancellationToken).ConfigureAwait(false);
        }

        return new LineOutcome(null, null, jobId, _estimator.Estimate(submission.Request));
    }

    private static Dictionary<string, string[]> Merge(IntakeProblems problems, string field, string message)
    {
        var fields = problems.ToDictionary().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        fields[field] = fields.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
        return fields;
    }

    private readonly record struct LineOutcome(byte[]? ErrorLine, string? SkipCode, string? JobId, JobCost? Estimate)
    {
        public static LineOutcome Error(byte[] line) => new(line, null, null, null);

        public static LineOutcome Skip(byte[] line, string code) => new(line, code, null, null);
    }
}

/// <summary>Span and tag names of the batch steps (tests crash the worker at these points).</summary>
public static class BatchTelemetry
{
    public const string CheckpointActivity = "BatchCheckpoint";
    public const string FinalizeActivity = "BatchFinalize";
    public const string BatchIdTag = "seedream.batch.id";
    public const string LineTag = "seedream.batch.line";
    public const string LinesTag = "seedream.batch.lines";
}
