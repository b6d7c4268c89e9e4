using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Storage;

/// <summary>The pipeline's containers and queues; creates them on first use when missing.</summary>
public sealed class PipelineStorage
{
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _created;

    public PipelineStorage(BlobServiceClient blobService, QueueServiceClient queueService, IOptions<PipelineStorageOptions> options)
    {
        var names = options.Value;
        BlobService = blobService;
        Jobs = blobService.GetBlobContainerClient(names.JobsContainer);
        Images = blobService.GetBlobContainerClient(names.ImagesContainer);
        GenerationRequests = queueService.GetQueueClient(names.GenerationRequestsQueue);
        GenerationRequestsPoison = queueService.GetQueueClient(names.GenerationRequestsPoisonQueue);
    }

    public BlobServiceClient BlobService { get; }

    public BlobContainerClient Jobs { get; }

    public BlobContainerClient Images { get; }

    public QueueClient GenerationRequests { get; }

    public QueueClient GenerationRequestsPoison { get; }

    public async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await Task.WhenAll(
                    Jobs.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                    Images.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                    GenerationRequests.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                    GenerationRequestsPoison.CreateIfNotExistsAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _createLock.Release();
        }
    }
}

/// <summary>The one place that fixes how the app encodes queue messages; host.json's <c>messageEncoding</c> must agree.</summary>
public static class PipelineQueueEncoding
{
    public const QueueMessageEncoding MessageEncoding = QueueMessageEncoding.Base64;

    public static void Apply(QueueClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MessageEncoding = MessageEncoding;
    }
}
