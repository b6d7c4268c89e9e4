using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Seedream.Functions;
using Seedream.Functions.Configuration;
using Seedream.Functions.Storage;

namespace Seedream.Benchmarks;

/// <summary>Where both paths put every image: our path hands over a stream, the OpenAI SDK path its decoded bytes.</summary>
internal abstract class ImageSink : IAsyncDisposable
{
    /// <summary>Stores a streamed image and returns the bytes stored.</summary>
    public abstract Task<long> StoreStreamAsync(int index, Stream content, string contentType, CancellationToken cancellationToken);

    public abstract Task StoreBytesAsync(int index, BinaryData content, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public static ImageSink Create(string kind, string? storageConnectionString, string runId) => kind switch
    {
        "file" => new FileImageSink(),
        "blob" => new BlobImageSink(storageConnectionString ?? throw new ArgumentException("The blob sink needs --storage."), runId),
        _ => throw new ArgumentException($"Unknown sink '{kind}' (file, blob)."),
    };
}

/// <summary>Files in a temporary directory that is removed afterwards.</summary>
internal sealed class FileImageSink : ImageSink
{
    private readonly string _directory = Directory.CreateTempSubdirectory("seedream-bench-").FullName;

    public override async Task<long> StoreStreamAsync(int index, Stream content, string contentType, CancellationToken cancellationToken)
    {
        await using var file = Open(index);
        await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        return file.Length;
    }

    public override async Task StoreBytesAsync(int index, BinaryData content, CancellationToken cancellationToken)
    {
        await using var file = Open(index);
        await file.WriteAsync(content.ToMemory(), cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private FileStream Open(int index) =>
        new(Path.Combine(_directory, $"{index}.img"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 81920, useAsync: true);
}

/// <summary>
/// Azurite blobs: our path through the pipeline's store step (<see cref="ImageStore"/>), the SDK path through
/// <see cref="BlobClient.UploadAsync(BinaryData, bool, CancellationToken)"/> with the SDK's default transfer options.
/// </summary>
internal sealed class BlobImageSink : ImageSink
{
    public const string ImagesContainer = "bench-images";

    private readonly string _jobId;
    private readonly ImageStore _store;
    private readonly BlobContainerClient _container;
    public BlobImageSink(string connectionString, string jobId)
    {
        _jobId = jobId;
        var storage = new PipelineStorage(
            new BlobServiceClient(connectionString),
            new QueueServiceClient(connectionString),
            Options.Create(new PipelineStorageOptions { ImagesContainer = ImagesContainer }));
        _store = new ImageStore(storage, Options.Create(new PipelineOptions()), TimeProvider.System);
        _container = storage.Images;
    }

    public override async Task<long> StoreStreamAsync(int index, Stream content, string contentType, CancellationToken cancellationToken)
    {
        var stored = await _store.UploadAsync(_jobId, index, content, contentType, model: null, width: null, height: null,
            new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        return stored.Bytes;
    }

    public override async Task StoreBytesAsync(int index, BinaryData content, CancellationToken cancellationToken)
    {
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _container.GetBlobClient($"{_jobId}/{index}.png").UploadAsync(content, overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes this run's blobs (Azurite keeps them in memory).</summary>
    public override async ValueTask DisposeAsync()
    {
        if (!await _container.ExistsAsync().ConfigureAwait(false))
        {
            return;
        }

        await foreach (var blob in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _jobId + "/" }).ConfigureAwait(false))
        {
            await _container.DeleteBlobIfExistsAsync(blob.Name).ConfigureAwait(false);
        }
    }
}
