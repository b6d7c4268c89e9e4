using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

/// <summary>
/// A batch's counts and its end. Each ended job leaves one marker blob (<c>{id}/ended/{jobId}</c>, created once, status
/// and line in its metadata) and bumps the record's counts; the check step recounts the markers (counts lost in a crash
/// come back) and, once every job has ended, the batch is finalized: results files written, final status, one event.
/// </summary>
public sealed class BatchProgress : IJobEndedHandler
{
    /// <summary>Every this many checks, jobs that ended without a marker (a crash between the two) get theirs.</summary>
    private const int ReconcileEvery = 10;
    private const int ReadConcurrency = 16;

    private readonly BatchStore _batches;
    private readonly PipelineStorage _storage;
    private readonly JobStore _jobs;
    private readonly BatchViewFactory _views;
    private readonly BatchEventPublisher _events;
    private readonly IReadOnlyList<IBatchEndedHandler> _endedHandlers;
    private readonly BatchOptions _options;
    private readonly BatchWindow _window;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchProgress> _logger;

    public BatchProgress(
        BatchStore batches, PipelineStorage storage, JobStore jobs, BatchViewFactory views, BatchEventPublisher events, IEnumerable<IBatchEndedHandler> endedHandlers,
        IOptions<BatchOptions> options, TimeProvider time, ILogger<BatchProgress> logger)
    {
        _batches = batches;
        _storage = storage;
        _jobs = jobs;
        _views = views;
        _events = events;
        _endedHandlers = endedHandlers.ToList();
        _options = options.Value;
        _window = new BatchWindow(_options.MaxJobsAhead);
        _time = time;
        _logger = logger;
    }

    Task IJobEndedHandler.OnJobEndedAsync(GenerationJob job, CancellationToken cancellationToken) => JobEndedAsync(job, cancellationToken);

    /// <summary>
    /// The job-ended hook: the job's batch counts it (once: a marker per job), and a batch job's end may end its batch.
    /// Called from the terminal event's outbox, again on a retried publish. Never throws (the recount catches up).
    /// </summary>
    public async Task JobEndedAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Batch is not { } batch)
        {
            return;
        }

        try
        {
            if (!await MarkEndedAsync(job, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var resume = false;
            var stored = await _batches.UpdateAsync(batch.BatchId, record =>
            {
                record.Tally.Count(job.Status);
                record.Cost = BatchCostEstimator.Add(record.Cost, job.Cost, estimated: false);
                // Compare-and-swap: of the job ends that free half the window, only the one whose write lands resumes.
                resume = _window.TryResume(record, _time.GetUtcNow());
                return true;
            }, cancellationToken).ConfigureAwait(false);
            if (resume)
            {
                await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batch.BatchId), delay: null, cancellationToken).ConfigureAwait(false);
            }

            if (stored?.Batch is { FanOut.Completed: true, IsFinished: false } record && record.Tally.Ended >= record.Tally.Accepted)
            {
                await _batches.SendAsync(_batches.Control, BatchControlMessage.Finalize(record.Id), delay: null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RequestFailedException or JsonException)
        {
            _logger.LogWarning(e, "Batch {BatchId}: job {JobId} ended but the batch counts could not be updated; the next recount catches up.", batch.BatchId, job.Id);
        }
    }

    /// <summary>The check step: recount, finalize when every job has ended, else look again after <see cref="BatchOptions.CheckInterval"/>.</summary>
    public async Task CheckAsync(string batchId, int round, bool finalizeOnly, CancellationToken cancellationToken)
    {
        if (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return;
        }

        if (stored.Batch.IsFinished)
        {
            await EnsureEventAsync(batchId, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!stored.Batch.FanOut.Completed)
        {
            // The fan-out sends a check when it has read the input.
            return;
        }

        if (!finalizeOnly && round > 0 && round % ReconcileEvery == 0)
        {
            await ReconcileAsync(batchId, cancellationToken).ConfigureAwait(false);
        }

        var ended = await ReadMarkersAsync(batchId, cancellationToken).ConfigureAwait(false);
        var recounted = await _batches.UpdateAsync(batchId, record =>
        {
            Recount(record.Tally, ended);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (recounted!.Batch.Tally.Ended >= recounted.Batch.Tally.Accepted)
        {
            try
            {
                await FinalizeAsync(batchId, ended, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // The last job's finalize and a recount finalized at the same moment and the other rewrote a results file
                // while this one wrote it (seen under the real host): look again shortly (finished by then, or written
                // again) rather than fail the delivery with a stack in the host log.
                _logger.LogInformation("Batch {BatchId}: another delivery wrote the results files at the same time; finalizing again in {Delay}.", batchId, _options.CheckInterval);
                await _batches.SendAsync(_batches.Control, BatchControlMessage.Finalize(batchId), _options.CheckInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!finalizeOnly)
        {
            await _batches.SendAsync(_batches.Control, BatchControlMessage.Check(batchId, round + 1), _options.CheckInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The resume step, every <see cref="BatchOptions.CheckInterval"/> while pause <paramref name="pause"/> lasts: recounts
    /// the markers (a count lost in a crash would keep the window full) and resumes the fan-out when it may go on; sends
    /// the fan-out again when a resume was recorded but the fan-out never moved (its message lost in a crash). Ends when the
    /// fan-out has moved on, paused again (a newer chain) or read the input.
    /// </summary>
    public async Task ResumeCheckAsync(string batchId, int pause, CancellationToken cancellationToken)
    {
        if (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not { Batch: { IsFinished: false, FanOut: { Completed: false } fanOut } } stored
            || fanOut.Pauses != pause || fanOut.NextLine != fanOut.PausedAtLine)
        {
            return;
        }

        var now = _time.GetUtcNow();
        if (!fanOut.Paused)
        {
            if (now - fanOut.ResumedAt >= _options.CheckInterval)
            {
                _logger.LogWarning("Batch {BatchId}: the fan-out was resumed at {ResumedAt} but has not moved from line {Line}; it is sent again.", batchId, fanOut.ResumedAt, fanOut.NextLine);
                await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batchId), delay: null, cancellationToken).ConfigureAwait(false);
            }

            await _batches.SendAsync(_batches.Control, BatchControlMessage.Resume(batchId, pause), _options.CheckInterval, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (now - fanOut.PausedAt >= ReconcileEvery * _options.CheckInterval)
        {
            await ReconcileAsync(batchId, cancellationToken).ConfigureAwait(false);
        }

        var ended = await ReadMarkersAsync(batchId, cancellationToken).ConfigureAwait(false);
        var resume = false;
        await _batches.UpdateAsync(batchId, record =>
        {
            resume = false;
            if (record.FanOut.Pauses != pause)
            {
                return false;
            }

            Recount(record.Tally, ended);
            resume = _window.TryResume(record, now);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (resume)
        {
            _logger.LogInformation("Batch {BatchId}: the recount frees the window; the fan-out resumes.", batchId);
            await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batchId), delay: null, cancellationToken).ConfigureAwait(false);
        }

        await _batches.SendAsync(_batches.Control, BatchControlMessage.Resume(batchId, pause), _options.CheckInterval, cancellationToken).ConfigureAwait(false);
    }

    private static void Recount(BatchTally tally, List<EndedMarker> ended)
    {
        (tally.Succeeded, tally.PartiallySucceeded, tally.Failed, tally.Cancelled, tally.Expired) = (0, 0, 0, 0, 0);
        foreach (var marker in ended)
        {
            tally.Count(marker.Status);
        }
    }

    private async Task<bool> MarkEndedAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>
        {
            [BatchStore.StatusMetadata] = JobStatusNames.NameOf(job.Status),
            [BatchStore.LineMetadata] = job.Batch!.Line.ToString(CultureInfo.InvariantCulture),
        };
        try
        {
            await _batches.EndedMarker(job.Batch.BatchId, job.Id).UploadAsync(BinaryData.Empty, new BlobUploadOptions
            {
                Metadata = metadata,
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private async Task<List<EndedMarker>> ReadMarkersAsync(string batchId, CancellationToken cancellationToken)
    {
        var markers = new List<EndedMarker>();
        var prefix = _batches.EndedPrefix(batchId);
        await foreach (var blob in _batches.Container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
        {
            if (blob.Metadata.TryGetValue(BatchStore.StatusMetadata, out var status) && JobStatusNames.TryParse(status, out var parsed)
                && blob.Metadata.TryGetValue(BatchStore.LineMetadata, out var line) && int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                markers.Add(new EndedMarker(blob.Name[prefix.Length..], parsed, number));
            }
        }

        return markers;
    }

    /// <summary>Gives each ended job of the batch its marker (a crash after the job's event may have left it without).</summary>
    private async Task ReconcileAsync(string batchId, CancellationToken cancellationToken)
    {
        var marked = (await ReadMarkersAsync(batchId, cancellationToken).ConfigureAwait(false)).Select(m => m.JobId).ToHashSet(StringComparer.Ordinal);
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var prefix = BatchJobIds.JobPrefix(batchId);
        var missing = new List<string>();
        await foreach (var blob in _storage.Jobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
        {
            var jobId = blob.Name[..^".json".Length];
            if (!marked.Contains(jobId))
            {
                missing.Add(jobId);
            }
        }

        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken }, async (jobId, ct) =>
        {
            if (await _jobs.GetAsync(jobId, ct).ConfigureAwait(false) is { Job: { IsTerminal: true, TerminalEvent.PublishedAt: not null } job })
            {
                await MarkEndedAsync(job, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    private async Task FinalizeAsync(string batchId, List<EndedMarker> ended, CancellationToken cancellationToken)
    {
        using var activity = PipelineTelemetry.ActivitySource.StartActivity(BatchTelemetry.FinalizeActivity);
        activity?.SetTag(BatchTelemetry.BatchIdTag, batchId);
        var stored = await _batches.UpdateAsync(batchId, record =>
        {
            if (record.IsFinished || record.Status == BatchStatus.Finalizing)
            {
                return false;
            }

            record.Status = BatchStatus.Finalizing;
            record.FinalizingAt = _time.GetUtcNow();
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (stored!.Batch.IsFinished)
        {
            await EnsureEventAsync(batchId, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Both files are written whole again if a crash interrupts this step; the record links them only once both are in.
        var batch = stored.Batch;
        JobCost? cost = null;
        var outputWriter = await ResultWriter.OpenAsync(_batches.Output(batchId), cancellationToken).ConfigureAwait(false);
        var errorWriter = await ResultWriter.OpenAsync(_batches.Errors(batchId), cancellationToken).ConfigureAwait(false);
        await using (outputWriter.ConfigureAwait(false))
        await using (errorWriter.ConfigureAwait(false))
        {
            for (var chunk = 0; chunk < batch.FanOut.ErrorChunks; chunk++)
            {
                await errorWriter.CopyLinesAsync(_batches.ErrorChunk(batchId, chunk), cancellationToken).ConfigureAwait(false);
            }

            var ordered = ended.OrderBy(m => m.Line).ToList();
            for (var start = 0; start < ordered.Count; start += ReadConcurrency)
            {
                var window = ordered.Skip(start).Take(ReadConcurrency).Select(m => _jobs.GetAsync(m.JobId, cancellationToken)).ToList();
                foreach (var read in window)
                {
                    if (await read.ConfigureAwait(false) is not { } job)
                    {
                        continue;
                    }

                    cost = BatchCostEstimator.Add(cost, job.Job.Cost, estimated: false);
                    await (BatchResultLines.IsOutput(job.Job) ? outputWriter : errorWriter).WriteJobAsync(job.Job, cancellationToken).ConfigureAwait(false);
                }
            }

            await outputWriter.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await errorWriter.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await _batches.UpdateAsync(batchId, record =>
        {
            if (record.IsFinished)
            {
                return false;
            }

            record.Status = record.CancelRequestedAt is not null ? BatchStatus.Cancelled
                : record.FanOut.Expired || record.Tally.Expired > 0 ? BatchStatus.Expired
                : record.Tally.Accepted == 0 ? BatchStatus.Failed
                : BatchStatus.Completed;
            if (record.Status == BatchStatus.Failed)
            {
                record.Error = new JobError("NoValidLine", record.Tally.Lines == 0
                    ? "The input holds no line; send one JSON request per line."
                    : $"None of the {record.Tally.Lines} lines can be run; the error file names each line's problems.");
            }

            record.FinishedAt = _time.GetUtcNow();
            record.Cost = cost;
            record.OutputFile = new BatchResultFile(_batches.Output(batchId).Name, outputWriter.Lines, outputWriter.Bytes);
            record.ErrorFile = new BatchResultFile(_batches.Errors(batchId).Name, errorWriter.Lines, errorWriter.Bytes);
            var type = BatchEventPublisher.TypeFor(record.Status);
            record.TerminalEvent = new TerminalEvent { Id = JobEventPublisher.TerminalEventId(batchId, type), Type = type };
            return true;
        }, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Batch {BatchId}: finalized ({Output} output lines, {Errors} error lines).", batchId, outputWriter.Lines, errorWriter.Lines);
        await EnsureEventAsync(batchId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the batch-ended hooks and publishes the batch's event, unless it went out already (a republish after a crash
    /// carries the same id and runs the hooks again).
    /// </summary>
    private async Task EnsureEventAsync(string batchId, CancellationToken cancellationToken)
    {
        if (await _batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not { Batch: { TerminalEvent: { PublishedAt: null } } batch })
        {
            return;
        }

        foreach (var handler in _endedHandlers)
        {
            await handler.OnBatchEndedAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        await _events.PublishAsync(batch, await _views.CreateAsync(batch, null, string.Empty, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var publishedAt = _time.GetUtcNow();
        await _batches.UpdateAsync(batchId, record =>
        {
            if (record.TerminalEvent is not { PublishedAt: null } terminal)
            {
                return false;
            }

            terminal.PublishedAt = publishedAt;
            return true;
        }, CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Batch {BatchId}: event {EventType} published.", batchId, batch.TerminalEvent!.Type);
    }

    private sealed record EndedMarker(string JobId, JobStatus Status, int Line);

    /// <summary>A results file written as a stream of blocks, counting its lines and bytes.</summary>
    private sealed class ResultWriter : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly Utf8JsonWriter _json;

        private ResultWriter(Stream stream)
        {
            _stream = stream;
            _json = new Utf8JsonWriter(stream, BatchResultLines.JsonOptions);
        }

        public int Lines { get; private set; }

        public long Bytes { get; private set; }

        public static async Task<ResultWriter> OpenAsync(Azure.Storage.Blobs.BlobClient blob, CancellationToken cancellationToken) =>
            new(await blob.OpenWriteAsync(overwrite: true, new BlobOpenWriteOptions
            {
                BufferSize = 4 * 1024 * 1024,
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/jsonl" },
            }, cancellationToken).ConfigureAwait(false));

        public async Task WriteJobAsync(GenerationJob job, CancellationToken cancellationToken)
        {
            _json.Reset();
            BatchResultLines.WriteJob(_json, job);
            await _json.FlushAsync(cancellationToken).ConfigureAwait(false);
            Bytes += _json.BytesCommitted + 1;
            _stream.WriteByte((byte)'\n');
            Lines++;
        }

        public async Task CopyLinesAsync(Azure.Storage.Blobs.BlobClient chunk, CancellationToken cancellationToken)
        {
            var content = await chunk.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var bytes = content.Value.Content.ToMemory();
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Bytes += bytes.Length;
            Lines += bytes.Span.Count((byte)'\n');
        }

        public Task CompleteAsync(CancellationToken cancellationToken) => _stream.FlushAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await _json.DisposeAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
