using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace DropTool;

/// <summary>Stands in for Event Grid locally: uploads a blob to the inbox and enqueues its BlobCreated event as the storage-queue destination writes it.</summary>
internal sealed class InboxDropper(BlobContainerClient inbox, QueueClient events)
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".json"] = "application/json",
        [".jsonl"] = "application/jsonl",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".webp"] = "image/webp",
        [".bmp"] = "image/bmp",
        [".tif"] = "image/tiff",
        [".tiff"] = "image/tiff",
        [".gif"] = "image/gif",
        [".heic"] = "image/heic",
        [".heif"] = "image/heif",
    };

    public BlobContainerClient Inbox => inbox;

    /// <summary>Uploads the file and enqueues the event; returns the event id.</summary>
    public async Task<string> DropAsync(string path, string blobName, IReadOnlyDictionary<string, string> metadata, bool cloudEvents, CancellationToken cancellationToken)
    {
        await inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await events.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
        var blob = inbox.GetBlobClient(blobName);
        var length = new FileInfo(path).Length;
        var uploaded = await blob.UploadAsync(path, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            // Metadata travels in HTTP headers (ASCII); the app reads percent-encoded values, so a Chinese prompt survives.
            Metadata = metadata.ToDictionary(m => m.Key, m => m.Value.All(c => c is >= ' ' and <= '~') ? m.Value : Uri.EscapeDataString(m.Value)),
        }, cancellationToken).ConfigureAwait(false);

        var eventId = Guid.NewGuid().ToString();
        var message = BlobCreatedEvent(eventId, blob, uploaded.Value.ETag.ToString(), contentType, length, cloudEvents);
        await events.SendMessageAsync(message, cancellationToken).ConfigureAwait(false);
        return eventId;
    }

    /// <summary>The blob's metadata, or null when it does not exist.</summary>
    public async Task<IDictionary<string, string>?> MetadataAsync(string blobName, CancellationToken cancellationToken)
    {
        var blob = inbox.GetBlobClient(blobName);
        return await blob.ExistsAsync(cancellationToken).ConfigureAwait(false)
            ? (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.Metadata
            : null;
    }

    /// <summary>A <c>Microsoft.Storage.BlobCreated</c> event in the shape the storage account's system topic delivers.</summary>
    private static string BlobCreatedEvent(string eventId, BlobClient blob, string etag, string contentType, long length, bool cloudEvents)
    {
        const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";
        var subject = $"/blobServices/default/containers/{blob.BlobContainerName}/blobs/{blob.Name}";
        var data = new JsonObject
        {
            ["api"] = "PutBlob",
            ["clientRequestId"] = Guid.NewGuid().ToString(),
            ["requestId"] = Guid.NewGuid().ToString(),
            ["eTag"] = etag.Trim('"'),
            ["contentType"] = contentType,
            ["contentLength"] = length,
            ["blobType"] = "BlockBlob",
            ["url"] = blob.Uri.AbsoluteUri,
            ["sequencer"] = DateTimeOffset.UtcNow.Ticks.ToString("X32", System.Globalization.CultureInfo.InvariantCulture),
            ["storageDiagnostics"] = new JsonObject { ["batchId"] = Guid.NewGuid().ToString() },
        };
        var time = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var gridEvent = cloudEvents
            ? new JsonObject
            {
                ["source"] = Topic,
                ["subject"] = subject,
                ["type"] = "Microsoft.Storage.BlobCreated",
                ["time"] = time,
                ["id"] = eventId,
                ["data"] = data,
                ["specversion"] = "1.0",
            }
            : new JsonObject
            {
                ["topic"] = Topic,
                ["subject"] = subject,
                ["eventType"] = "Microsoft.Storage.BlobCreated",
                ["id"] = eventId,
                ["data"] = data,
                ["dataVersion"] = "",
                ["metadataVersion"] = "1",
                ["eventTime"] = time,
            };
        return gridEvent.ToJsonString();
    }
}
