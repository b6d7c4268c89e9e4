using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Webhooks;

/// <summary>Where one notification's delivery stands.</summary>
public enum WebhookDeliveryState
{
    /// <summary>Not delivered yet; the next attempt is queued.</summary>
    Pending,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>The receiver answered 410 Gone: it wants no more; nothing is retried.</summary>
    Gone,

    /// <summary>Retries ran out (or the target was refused): dead-lettered and <c>Seedream.Webhook.Failed</c> published.</summary>
    Failed,
}

/// <summary>One POST to the callback: when, what came back (status or error), and when the next one is due.</summary>
public sealed record WebhookAttempt(int Number, DateTimeOffset At, int? Status, string? Error, int DurationMs, DateTimeOffset? NextAttemptAt);

/// <summary>One notification (the CloudEvent whose id is the <c>webhook-id</c>) and its attempts.</summary>
public sealed class WebhookNotification
{
    /// <summary>The <c>webhook-id</c> header: the CloudEvent's id, the same on every attempt.</summary>
    public required string WebhookId { get; set; }

    /// <summary><see cref="WebhookEvents.JobEnded"/> or <see cref="WebhookEvents.ImageStored"/>.</summary>
    public required string Event { get; set; }

    public WebhookDeliveryState State { get; set; }

    public List<WebhookAttempt> Attempts { get; set; } = [];
}

/// <summary>The deliveries of one job's callback: blob <c>webhooks/{jobId}.json</c> beside the job record, so that a delivery never races the job's own writer.</summary>
public sealed class WebhookDeliveryLog
{
    public List<WebhookNotification> Notifications { get; set; } = [];

    public WebhookNotification? Find(string webhookId) => Notifications.Find(n => n.WebhookId == webhookId);
}

/// <summary>Reads and updates delivery logs with ETag conditions (a lost race re-reads and applies the change again).</summary>
public sealed class WebhookDeliveryStore
{
    private readonly PipelineStorage _storage;

    public WebhookDeliveryStore(PipelineStorage storage) => _storage = storage;

    public async Task<WebhookDeliveryLog?> GetAsync(string jobId, CancellationToken cancellationToken) =>
        (await ReadAsync(Blob(jobId), cancellationToken).ConfigureAwait(false))?.Log;

    /// <summary>Applies <paramref name="change"/> to the latest log; a change that returns false writes nothing.</summary>
    public async Task<WebhookDeliveryLog> UpdateAsync(string jobId, Func<WebhookDeliveryLog, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var blob = Blob(jobId);
        while (true)
        {
            var current = await ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            var log = current?.Log ?? new WebhookDeliveryLog();
            if (!change(log))
            {
                return log;
            }

            var conditions = current is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = current.Value.ETag };
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(log, JobJson.Options), new BlobUploadOptions
                {
                    Conditions = conditions,
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                }, cancellationToken).ConfigureAwait(false);
                return log;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another delivery of the same job wrote first; apply the change to its version.
            }
        }
    }

    private BlobClient Blob(string jobId) => _storage.Jobs.GetBlobClient($"webhooks/{jobId}.json");

    private async Task<(WebhookDeliveryLog Log, ETag ETag)?> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (content.Value.Content.ToObjectFromJson<WebhookDeliveryLog>(JobJson.Options) ?? new WebhookDeliveryLog(), content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
