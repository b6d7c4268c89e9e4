using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Seedream.Functions.Listing;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Jobs;

/// <summary>A job record together with the ETag it was read or written with.</summary>
public sealed record StoredJob(GenerationJob Job, ETag ETag);

/// <summary>An idempotency key's record: the job it created and the hash of the body it came with.</summary>
public sealed record IdempotencyRecord(string JobId, string RequestHash);

/// <summary>Job records as JSON blobs with optimistic concurrency: If-None-Match:* to create, If-Match to update.</summary>
public class JobStore
{
    private readonly PipelineStorage _storage;
    private readonly TimeProvider _time;
    private readonly JobIndex? _index;

    public JobStore(PipelineStorage storage, TimeProvider time, JobIndex? index = null)
    {
        _storage = storage;
        _time = time;
        _index = index;
    }

    public virtual async Task<StoredJob?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var result = await DownloadAsync<GenerationJob>(JobBlob(id), cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return null;
        }

        var job = result.Value.Value;
        if (job.SchemaVersion > GenerationJob.CurrentSchemaVersion)
        {
            // Rewriting it would drop what this version does not know; a newer deployment must handle it.
            throw new InvalidOperationException(
                $"Job {id} was written with record schema {job.SchemaVersion}; this version reads up to {GenerationJob.CurrentSchemaVersion}.");
        }

        return new StoredJob(job, result.Value.ETag);
    }

    /// <summary>The record if it changed since <paramref name="current"/> (a conditional GET on its ETag); null when it did not.</summary>
    public virtual async Task<StoredJob?> GetIfChangedAsync(StoredJob current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        try
        {
            var content = await JobBlob(current.Job.Id).DownloadContentAsync(
                new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = current.ETag } }, cancellationToken).ConfigureAwait(false);
            if (content.GetRawResponse().Status == 304)
            {
                return null;
            }

            var job = content.Value.Content.ToObjectFromJson<GenerationJob>(JobJson.Options)
                ?? throw new JsonException($"Job {current.Job.Id} holds JSON null.");
            return new StoredJob(job, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 304)
        {
            return null;
        }
    }

    /// <summary>Creates the record; null when a job with that id already exists.</summary>
    public virtual async Task<StoredJob?> TryCreateAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        job.CreatedAt = job.UpdatedAt = _time.GetUtcNow();
        job.SchemaVersion = GenerationJob.CurrentSchemaVersion;
        await _index.BeforeCreateAsync(job, cancellationToken).ConfigureAwait(false);
        var etag = await UploadAsync(JobBlob(job.Id), job, new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken).ConfigureAwait(false);
        return etag is null ? null : new StoredJob(job, etag.Value);
    }

    /// <summary>Replaces the record if it is still the version read; null when another writer got there first.</summary>
    public virtual async Task<StoredJob?> TryReplaceAsync(StoredJob current, CancellationToken cancellationToken)
    {
        current.Job.UpdatedAt = _time.GetUtcNow();
        current.Job.SchemaVersion = GenerationJob.CurrentSchemaVersion;
        var etag = await UploadAsync(JobBlob(current.Job.Id), current.Job, new BlobRequestConditions { IfMatch = current.ETag }, cancellationToken).ConfigureAwait(false);
        if (etag is null)
        {
            return null;
        }

        await _index.AfterWriteAsync(current.Job, cancellationToken).ConfigureAwait(false);
        return current with { ETag = etag.Value };
    }

    /// <summary>Deletes the record if it is still the version given (a job whose submission could not be completed).</summary>
    public virtual async Task DeleteAsync(StoredJob job, CancellationToken cancellationToken)
    {
        try
        {
            await JobBlob(job.Job.Id).DeleteAsync(conditions: new BlobRequestConditions { IfMatch = job.ETag }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already, or another writer has moved it on: either way it is no longer ours to remove.
        }
    }

    public virtual async Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string keyHash, CancellationToken cancellationToken)
    {
        var result = await DownloadAsync<IdempotencyRecord>(IdempotencyBlob(keyHash), cancellationToken).ConfigureAwait(false);
        return result?.Value;
    }

    /// <summary>Claims an idempotency key; false when the key was already used.</summary>
    public virtual async Task<bool> TryCreateIdempotencyRecordAsync(string keyHash, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        var etag = await UploadAsync(IdempotencyBlob(keyHash), record, new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken).ConfigureAwait(false);
        return etag is not null;
    }

    private BlobClient JobBlob(string id) => _storage.Jobs.GetBlobClient($"{id}.json");

    private BlobClient IdempotencyBlob(string keyHash) => _storage.Jobs.GetBlobClient($"idempotency/{keyHash}.json");

    private async Task<(T Value, ETag ETag)?> DownloadAsync<T>(BlobClient blob, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var value = content.Value.Content.ToObjectFromJson<T>(JobJson.Options)
                ?? throw new JsonException($"Blob {blob.Name} holds JSON null.");
            return (value, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private async Task<ETag?> UploadAsync<T>(BlobClient blob, T value, BlobRequestConditions conditions, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var options = new BlobUploadOptions
        {
            Conditions = conditions,
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        };
        try
        {
            var response = await blob.UploadAsync(BinaryData.FromObjectAsJson(value, JobJson.Options), options, cancellationToken).ConfigureAwait(false);
            return response.Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }
}
