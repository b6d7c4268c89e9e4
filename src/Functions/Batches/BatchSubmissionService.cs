using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

/// <summary>What became of a batch upload.</summary>
public sealed record BatchSubmission(BatchRecord? Batch, IReadOnlyDictionary<string, string[]>? Errors, bool TooLarge);

/// <summary>
/// <c>POST /api/batches</c>: the JSONL body is staged to a blob as it arrives (never held: a 200 MB input costs the
/// upload's few blocks), the record is created <c>validating</c> and the fan-out message sent. The lines are read by
/// the fan-out, not here. Query parameters: <c>completion_window</c> (a duration, <c>24h</c> by default), <c>deadline</c>
/// (RFC 3339; the earlier of the two wins) and <c>metadata.{key}</c>.
/// </summary>
public sealed partial class BatchSubmissionService
{
    public const string CompletionWindowParameter = "completion_window";
    public const string DeadlineParameter = "deadline";
    public const string MetadataPrefix = "metadata.";
    private const int UploadBlockBytes = 4 * 1024 * 1024;

    private readonly BatchStore _batches;
    private readonly BatchOptions _options;
    private readonly IntakeOptions _intake;
    private readonly PipelineOptions _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchSubmissionService> _logger;

    public BatchSubmissionService(BatchStore batches, IOptions<BatchOptions> options, IOptions<IntakeOptions> intake, IOptions<PipelineOptions> pipeline, TimeProvider time, ILogger<BatchSubmissionService> logger)
    {
        _batches = batches;
        _options = options.Value;
        _intake = intake.Value;
        _pipeline = pipeline.Value;
        _time = time;
        _logger = logger;
    }

    public long MaxInputBytes => _options.MaxInputBytes;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex MetadataKeyPattern();

    public async Task<BatchSubmission> SubmitAsync(HttpRequest request, string traceParent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();
        var problems = new IntakeProblems();
        var (window, deadline) = ReadWindow(request.Query, now, problems);
        var metadata = ReadMetadata(request.Query, problems);
        if (!problems.IsEmpty)
        {
            return new BatchSubmission(null, problems.ToDictionary(), false);
        }

        if (request.ContentLength > _options.MaxInputBytes)
        {
            return new BatchSubmission(null, null, true);
        }

        var batch = new BatchRecord
        {
            Id = BatchJobIds.NewBatchId(),
            Status = BatchStatus.Validating,
            Endpoint = BatchLine.GatewayUrl,
            CompletionWindow = window,
            Deadline = deadline,
            Metadata = metadata,
            TraceParent = traceParent,
        };
        return await StageAsync(batch, request.Body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A batch from a <c>.jsonl</c> drop: the id derives from the blob's identity (<paramref name="batchId"/>), the
    /// default completion window, no metadata; the record keeps <paramref name="source"/> so that the blob is marked with
    /// the batch's end. The caller looks for an existing batch of that id first.
    /// </summary>
    public async Task<BatchSubmission> SubmitDropAsync(string batchId, SourceBlob source, Stream body, string traceParent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(body);
        var window = _options.DefaultCompletionWindow;
        var batch = new BatchRecord
        {
            Id = batchId,
            Status = BatchStatus.Validating,
            Endpoint = BatchLine.GatewayUrl,
            CompletionWindow = $"{(long)window.TotalHours}h",
            Deadline = _time.GetUtcNow() + window,
            TraceParent = traceParent,
            Source = source,
        };
        return await StageAsync(batch, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams <paramref name="body"/> into the batch's input blob, creates the record and queues the fan-out.</summary>
    private async Task<BatchSubmission> StageAsync(BatchRecord batch, Stream body, CancellationToken cancellationToken)
    {
        await _batches.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var input = _batches.Input(batch.Id);
        var counted = new CountingReadStream(body, _options.MaxInputBytes);
        try
        {
            await input.UploadAsync(counted, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/jsonl" },
                TransferOptions = new Azure.Storage.StorageTransferOptions { InitialTransferSize = UploadBlockBytes, MaximumTransferSize = UploadBlockBytes, MaximumConcurrency = 2 },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (InputTooLargeException)
        {
            await input.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return new BatchSubmission(null, null, true);
        }

        if (counted.Bytes == 0)
        {
            await input.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return new BatchSubmission(null, new Dictionary<string, string[]> { [IntakeProblems.Root] = ["The body is empty; send one JSON request per line (JSONL)."] }, false);
        }

        batch.InputBytes = counted.Bytes;
        await _batches.TryCreateAsync(batch, cancellationToken).ConfigureAwait(false);
        await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(batch.Id), delay: null, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Batch {BatchId}: {Bytes} bytes staged; fan-out queued.", batch.Id, counted.Bytes);
        return new BatchSubmission(batch, null, false);
    }

    private (string Window, DateTimeOffset Deadline) ReadWindow(IQueryCollection query, DateTimeOffset now, IntakeProblems problems)
    {
        var window = _options.DefaultCompletionWindow;
        var windowText = query[CompletionWindowParameter].ToString();
        if (windowText.Length > 0)
        {
            if (!DeadlineRules.TryParseDuration(windowText, out window) || window <= TimeSpan.Zero)
            {
                problems.Add(CompletionWindowParameter, $"completion_window must be a positive duration such as 24h, 90m or 1h30m; got '{LogText.Cut(windowText, 40)}'.");
            }
            else if (window > _intake.MaxDeadline)
            {
                problems.Add(CompletionWindowParameter, $"completion_window can be at most {_intake.MaxDeadline.TotalHours.ToString(CultureInfo.InvariantCulture)} hours.");
            }
        }

        var deadline = now + window;
        var deadlineText = query[DeadlineParameter].ToString();
        if (deadlineText.Length > 0)
        {
            if (!DeadlineRules.TryParseRfc3339(deadlineText, out var parsed))
            {
                problems.Add(DeadlineParameter, $"deadline must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T12:00:00Z; got '{LogText.Cut(deadlineText, 40)}'.");
            }
            else if (parsed <= now)
            {
                problems.Add(DeadlineParameter, "deadline has passed already.");
            }
            else if (parsed - now > _intake.MaxDeadline)
            {
                problems.Add(DeadlineParameter, $"deadline can be at most {_intake.MaxDeadline.TotalHours.ToString(CultureInfo.InvariantCulture)} hours ahead.");
            }
            else if (parsed < deadline)
            {
                deadline = parsed;
            }
        }

        return (windowText.Length > 0 ? windowText : $"{(long)window.TotalHours}h", deadline);
    }

    private Dictionary<string, string> ReadMetadata(IQueryCollection query, IntakeProblems problems)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in query)
        {
            if (!name.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var key = name[MetadataPrefix.Length..];
            var value = values.ToString();
            if (!MetadataKeyPattern().IsMatch(key))
            {
                problems.Add(name, "Metadata keys must start with a letter and hold at most 64 letters, digits or '_'.");
            }
            else if (values.Count != 1 || value.Length > _pipeline.MaxMetadataValueLength)
            {
                problems.Add(name, $"Metadata takes one value of at most {_pipeline.MaxMetadataValueLength} characters per key.");
            }
            else
            {
                metadata[key] = value;
            }
        }

        if (metadata.Count > _pipeline.MaxMetadataEntries)
        {
            problems.Add("metadata", $"metadata can hold at most {_pipeline.MaxMetadataEntries} entries.");
        }

        return metadata;
    }

    private sealed class InputTooLargeException : IOException
    {
        public InputTooLargeException()
            : base("The batch input is over the limit.")
        {
        }
    }

    /// <summary>Passes the request body through, counting it; past the limit the upload fails (and nothing is committed).</summary>
    private sealed class CountingReadStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private readonly long _limit;

        public CountingReadStream(Stream inner, long limit)
        {
            _inner = inner;
            _limit = limit;
        }

        public long Bytes { get; private set; }

        public override long Position { get => Bytes; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer) => Count(_inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            Bytes += read;
            return Bytes > _limit ? throw new InputTooLargeException() : read;
        }
    }
}
