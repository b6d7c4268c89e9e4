using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Configuration;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Processing;

/// <summary>
/// One image on its way into storage, whatever brought it: decoded from a <c>b64_json</c> response, or downloaded from a
/// result URL (answered at once or streamed one event at a time).
/// </summary>
internal sealed record IncomingImage(
    int Index,
    Func<CancellationToken, Task<Stream>> OpenAsync,
    string FallbackContentType,
    Func<(int? Width, int? Height)> ReportedSize,
    string FailureCode)
{
    /// <summary>An image inside the response: its content is read from the response body as it is stored.</summary>
    public static IncomingImage Inline(GeneratedImage image) =>
        // b64_json items may report their size only after the content, hence the late read of Width/Height.
        new(image.Index, image.OpenReadAsync, image.ContentType, () => (image.Width, image.Height), "InvalidImageContent");

    /// <summary>A persisted result URL, streamed from the download into the blob.</summary>
    public static IncomingImage Download(AnsweredImage item, SeedreamClient seedream, string fallbackContentType) =>
        new(item.Index, ct => seedream.OpenImageDownloadAsync(item.Url, ct), fallbackContentType, () => (item.Width, item.Height), "DownloadFailed");
}

/// <summary>
/// The one storage path for images: stream into the job's blob, record it on the job record (a lease-owner write),
/// count it, and publish its per-image event when configured. A permanent failure (bad content, expired URL, too
/// large) becomes that image's failure; anything else propagates so that the queue retries.
/// </summary>
internal sealed class ImageIngest
{
    private readonly ImageStore _images;
    private readonly JobEventPublisher _events;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<ImageIngest> _logger;
    private readonly WebhookNotifier _webhooks;

    public ImageIngest(ImageStore images, JobEventPublisher events, PipelineMetrics metrics, ILogger<ImageIngest> logger, WebhookNotifier webhooks)
    {
        _webhooks = webhooks;
        _images = images;
        _events = events;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task StoreAsync(JobWriter writer, IncomingImage image, CancellationToken cancellationToken)
    {
        // A cancel stops the job before its next image, not after it was downloaded and stored.
        await writer.ThrowIfNoLongerOwnedAsync(cancellationToken).ConfigureAwait(false);
        var job = writer.Job;
        StoredImage stored;
        using (var activity = PipelineTelemetry.ActivitySource.StartActivity(PipelineTelemetry.StoreImageActivity, ActivityKind.Internal, default(ActivityContext),
            [new(PipelineTelemetry.JobIdTag, job.Id), new(PipelineTelemetry.ImageIndexTag, image.Index)]))
        {
            try
            {
                var content = await image.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    var (width, height) = image.ReportedSize();
                    stored = await _images.UploadAsync(job.Id, image.Index, content, image.FallbackContentType, JobOutcomeRules.ModelName(job),
                        width, height, job.Metadata, cancellationToken).ConfigureAwait(false);
                    var (lateWidth, lateHeight) = image.ReportedSize();
                    stored = stored with { Width = stored.Width ?? lateWidth, Height = stored.Height ?? lateHeight };
                    await writer.WriteOwnedAsync(j => JobOutcomeRules.AddImage(j, stored), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (JobOutcomeRules.PermanentFailure(e) is { } failure)
            {
                activity?.SetStatus(ActivityStatusCode.Error, failure.ErrorCode ?? image.FailureCode);
                await writer.WriteOwnedAsync(j => JobOutcomeRules.AddFailure(j, image.Index, failure.ErrorCode ?? image.FailureCode, failure.Message), cancellationToken)
                    .ConfigureAwait(false);
                _logger.LogInformation("Job {JobId}: image {Index} failed ({Code}).", job.Id, image.Index, failure.ErrorCode ?? image.FailureCode);
                return;
            }

            activity?.SetTag(PipelineTelemetry.ImageBytesTag, stored.Bytes);
            activity?.SetTag(PipelineTelemetry.ImageUrlTag, stored.BlobUrl.AbsoluteUri);
            _metrics.ImageStored(stored);
            _logger.LogInformation("Job {JobId}: image {Index} stored ({Bytes} bytes).", job.Id, stored.Index, stored.Bytes);
        }

        if (_events.PublishesImageStoredEvents)
        {
            await _events.PublishImageStoredAsync(writer.Job, stored, cancellationToken).ConfigureAwait(false);
        }

        await _webhooks.ImageStoredAsync(writer.Job, stored, cancellationToken).ConfigureAwait(false);
    }
}
