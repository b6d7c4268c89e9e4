using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

/// <summary>A batch record together with the ETag it was read or written with.</summary>
public sealed record StoredBatch(BatchRecord Batch, ETag ETag);

/// <summary>
/// The batches container: <c>{id}/batch.json</c> (the record, ETag-guarded), <c>{id}/input.jsonl</c> (the staged input),
/// <c>{id}/errors/{n}.jsonl</c> (line errors per checkpoint), <c>{id}/ended/{jobId}</c> (one marker per ended job),
/// <c>{id}/output.jsonl</c> and <c>{id}/errors.jsonl</c> (the results), and <c>index/{newest-first key}</c> for the listing.
/// Also the two batch queues.
/// </summary>
public sealed class BatchStore
{
    public const string StatusMetadata = "status";
    public const string LineMetadata = "line";

    private readonly TimeProvider _time;
    private readonly CreateOnce _creation = new();

    public BatchStore(BlobServiceClient blobs, QueueServiceClient queues, IOptions<BatchStorageOptions> names, TimeProvider time)
    {
        var options = names.Value;
        Container = blobs.GetBlobContainerClient(options.BatchesContainer);
        Control = queues.GetQueueClient(options.BatchControlQueue);
        Generation = queues.GetQueueClient(options.BatchGenerationRequestsQueue);
        GenerationPoison = queues.GetQueueClient(options.BatchGenerationRequestsQueue + "-poison");
        ControlPoison = queues.GetQueueClient(options.BatchControlQueue + "-poison");
        _time = time;
    }

    public BlobContainerClient Container { get; }

    public QueueClient Control { get; }

    public QueueClient ControlPoison { get; }

    public QueueClient Generation { get; }

    public QueueClient GenerationPoison { get; }

    public BlobClient Input(string id) => Container.GetBlobClient($"{id}/input.jsonl");

    public BlobClient ErrorChunk(string id, int chunk) => Container.GetBlobClient($"{id}/errors/{chunk.ToString("D6", CultureInfo.InvariantCulture)}.jsonl");

    public BlobClient EndedMarker(string id, string jobId) => Container.GetBlobClient($"{id}/ended/{jobId}");

    public string EndedPrefix(string id) => $"{id}/ended/";

    public BlobClient Output(string id) => Container.GetBlobClient($"{id}/output.jsonl");

    public BlobClient Errors(string id) => Container.GetBlobClient($"{id}/errors.jsonl");

    public const string IndexPrefix = "index/";

    /// <summary>Newest first: the key is the creation time counted down.</summary>
    public static string IndexName(BatchRecord batch) =>
        $"{IndexPrefix}{(DateTimeOffset.MaxValue.UtcTicks - batch.CreatedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture)}_{batch.Id}";

    public ValueTask EnsureCreatedAsync(CancellationToken cancellationToken) => _creation.EnsureAsync(token => Task.WhenAll(
        Container.CreateIfNotExistsAsync(cancellationToken: token),
        Control.CreateIfNotExistsAsync(cancellationToken: token),
        Generation.CreateIfNotExistsAsync(cancellationToken: token),
        GenerationPoison.CreateIfNotExistsAsync(cancellationToken: token),
        ControlPoison.CreateIfNotExistsAsync(cancellationToken: token)), cancellationToken);

    public async Task<StoredBatch?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await Record(id).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var batch = content.Value.Content.ToObjectFromJson<BatchRecord>(JobJson.Options) ?? throw new JsonException($"Batch {id} holds JSON null.");
            return new StoredBatch(batch, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Creates the record and its listing entry; false when the id exists.</summary>
    public async Task<bool> TryCreateAsync(BatchRecord batch, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        batch.CreatedAt = batch.UpdatedAt = _time.GetUtcNow();
        if (await UploadAsync(Record(batch.Id), batch, new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await Container.GetBlobClient(IndexName(batch)).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the newest record until a write sticks (compare-and-swap). The change returns
    /// false to leave the record as it is. Null when the batch does not exist.
    /// </summary>
    public async Task<StoredBatch?> UpdateAsync(string id, Func<BatchRecord, bool> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                return null;
            }

            if (!change(stored.Batch))
            {
                return stored;
            }

            stored.Batch.UpdatedAt = _time.GetUtcNow();
            if (await UploadAsync(Record(id), stored.Batch, new BlobRequestConditions { IfMatch = stored.ETag }, cancellationToken).ConfigureAwait(false) is { } etag)
            {
                return stored with { ETag = etag };
            }
        }
    }

    /// <summary>One page of the listing, newest first.</summary>
    public async Task<(IReadOnlyList<string> Ids, string? ContinuationToken)> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var page in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, IndexPrefix, cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            return ([.. page.Values.Select(blob => blob.Name[(blob.Name.IndexOf('_', StringComparison.Ordinal) + 1)..])], string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return ([], null);
    }

    public async Task SendAsync(QueueClient queue, string message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await queue.SendMessageAsync(message, delay, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private BlobClient Record(string id) => Container.GetBlobClient($"{id}/batch.json");

    private static async Task<ETag?> UploadAsync(BlobClient blob, BatchRecord batch, BlobRequestConditions conditions, CancellationToken cancellationToken)
    {
        try
        {
            var response = await blob.UploadAsync(BinaryData.FromObjectAsJson(batch, JobJson.Options), new BlobUploadOptions
            {
                Conditions = conditions,
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, cancellationToken).ConfigureAwait(false);
            return response.Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }
}
