using Microsoft.Extensions.Options;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

/// <summary>Counts as the API shows them; they add up to <see cref="Total"/> (lines read so far).</summary>
public sealed record BatchRequestCounts(int Total, int Queued, int Running, int Succeeded, int Failed, int Cancelled, int Expired, int Invalid, int PartiallySucceeded)
{
    public static BatchRequestCounts From(BatchTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var running = Math.Clamp(tally.Started - tally.Ended, 0, Math.Max(0, tally.Accepted - tally.Ended));
        return new BatchRequestCounts(
            tally.Lines,
            Math.Max(0, tally.Accepted - tally.Ended - running),
            running,
            tally.Succeeded + tally.PartiallySucceeded,
            tally.Invalid + tally.Failed,
            tally.Skipped + tally.Cancelled,
            tally.SkippedExpired + tally.Expired,
            tally.Invalid,
            tally.PartiallySucceeded);
    }
}

/// <summary>A results file as the API shows it: a read URL valid until <see cref="ExpiresAt"/>.</summary>
public sealed record BatchFileView(Uri Url, DateTimeOffset ExpiresAt, int Lines, long Bytes);

/// <summary>The batch as <c>GET /api/batches/{id}</c> and the batch events show it (OpenAI's batch object, in the API's camelCase).</summary>
public sealed record BatchView(
    string Id,
    string Object,
    string Endpoint,
    BatchStatus Status,
    string CompletionWindow,
    DateTimeOffset Deadline,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinalizingAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? CancelRequestedAt,
    BatchRequestCounts RequestCounts,
    bool InputRead,
    long InputBytes,
    JobCost? EstimatedCost,
    JobCost? Cost,
    IReadOnlyDictionary<string, string> Metadata,
    BatchFileView? OutputFile,
    BatchFileView? ErrorFile,
    JobError? Error,
    string? StatusUrl,
    string? ViewUrl);

/// <summary>Builds <see cref="BatchView"/>s, issuing the results files' short-lived read URLs.</summary>
public sealed class BatchViewFactory
{
    private readonly BatchStore _batches;
    private readonly BlobSasIssuer _sas;
    private readonly BatchOptions _options;

    public BatchViewFactory(BatchStore batches, BlobSasIssuer sas, IOptions<BatchOptions> options)
    {
        _batches = batches;
        _sas = sas;
        _options = options.Value;
    }

    /// <param name="batchesUrl">The absolute URL of <c>…/api/batches</c> (with the function key query, if any), for the links; null in events.</param>
    public async Task<BatchView> CreateAsync(BatchRecord batch, string? batchesUrl, string keyQuery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var output = batch.OutputFile is { } o ? await FileAsync(o, cancellationToken).ConfigureAwait(false) : null;
        var errors = batch.ErrorFile is { } e ? await FileAsync(e, cancellationToken).ConfigureAwait(false) : null;
        return new BatchView(
            batch.Id, "batch", batch.Endpoint, batch.Status, batch.CompletionWindow, batch.Deadline, batch.CreatedAt, batch.StartedAt, batch.FinalizingAt,
            batch.FinishedAt, batch.CancelRequestedAt, BatchRequestCounts.From(batch.Tally), batch.FanOut.Completed, batch.InputBytes, batch.EstimatedCost,
            batch.Cost, batch.Metadata, output, errors, batch.Error,
            batchesUrl is null ? null : $"{batchesUrl}/{batch.Id}{keyQuery}",
            batchesUrl is null ? null : $"{batchesUrl}/{batch.Id}/view{keyQuery}");
    }

    private async Task<BatchFileView> FileAsync(BatchResultFile file, CancellationToken cancellationToken)
    {
        var url = await _sas.GetReadUrlAsync(_batches.Container.GetBlobClient(file.BlobName), _options.ResultUrlLifetime, cancellationToken).ConfigureAwait(false);
        return new BatchFileView(url.Url, url.ExpiresOn, file.Lines, file.Bytes);
    }
}
