using System.Text.Json;
using System.Text.Json.Nodes;
using Seedream.Functions.Drops;
using Seedream.Functions.Storage;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Jobs;

/// <summary>What <c>GET /api/generations/{id}</c> shows of a job.</summary>
public sealed record JobView(
    string Id,
    JobStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    JsonNode? Request,
    IReadOnlyDictionary<string, string> Metadata,
    JobProgress Progress,
    IReadOnlyList<ImageView> Images,
    IReadOnlyList<ImageFailure> Failures,
    JobUsage? Usage,
    JobCost? Cost,
    JobError? Error,
    SourceBlob? SourceBlob = null,
    DateTimeOffset? Deadline = null,
    DateTimeOffset? CancelRequestedAt = null,
    WebhookView? Webhook = null,
    CapacityWait? WaitingForCapacity = null);

/// <summary>The job's callback as the status API and the view page show it: target, events, and every attempt of every notification.</summary>
public sealed record WebhookView(Uri Url, IReadOnlyList<string> Events, IReadOnlyList<WebhookNotification> Notifications);

public sealed record JobProgress(int ImagesStored, int ImagesFailed, bool GenerationAnswered);

public sealed record ImageView(int Index, string BlobName, Uri Url, DateTimeOffset UrlExpiresOn, string ContentType, string? Size, int? Width, int? Height, long Bytes);

public sealed class JobViewFactory
{
    private readonly ImageStore _images;
    private readonly WebhookDeliveryStore? _webhooks;

    public JobViewFactory(ImageStore images, WebhookDeliveryStore? webhooks = null)
    {
        _images = images;
        _webhooks = webhooks;
    }

    public async Task<JobView> CreateAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        var images = new List<ImageView>(job.Images.Count);
        foreach (var image in job.Images)
        {
            var read = await _images.GetReadUrlAsync(image.BlobName, cancellationToken).ConfigureAwait(false);
            images.Add(new ImageView(image.Index, image.BlobName, read.Url, read.ExpiresOn, image.ContentType, image.Size, image.Width, image.Height, image.Bytes));
        }

        return new JobView(
            job.Id,
            job.Status,
            job.CreatedAt,
            job.UpdatedAt,
            job.StartedAt,
            job.CompletedAt,
            ElideInlineReferences(job.Request),
            job.Metadata,
            new JobProgress(job.Images.Count, job.Failures.Count, job.Phase == GenerationPhase.Answered || job.IsTerminal),
            images,
            job.Failures,
            job.Usage,
            job.Cost,
            job.Error,
            job.SourceBlob,
            job.Deadline,
            job.CancelRequestedAt,
            job.Webhook is { } webhook ? new WebhookView(webhook.Url, webhook.Events, await DeliveriesAsync(job.Id, cancellationToken).ConfigureAwait(false)) : null,
            job.Status == JobStatus.Queued ? job.WaitingForCapacity : null);
    }

    private async Task<IReadOnlyList<WebhookNotification>> DeliveriesAsync(string jobId, CancellationToken cancellationToken) =>
        _webhooks is null ? [] : (await _webhooks.GetAsync(jobId, cancellationToken).ConfigureAwait(false))?.Notifications ?? [];

    /// <summary>Base64 reference images (<c>data:</c> URIs) can be megabytes; the view names them instead of echoing them.</summary>
    public static JsonNode? ElideInlineReferences(ImageGenerationRequest? request)
    {
        if (request is null)
        {
            return null;
        }

        var node = JsonSerializer.SerializeToNode(request, SeedreamJson.Options);
        if (node is JsonObject root && root["image"] is { } image)
        {
            if (image is JsonArray references)
            {
                for (var i = 0; i < references.Count; i++)
                {
                    if (Elide(references[i]) is { } elided)
                    {
                        references[i] = elided;
                    }
                }
            }
            else if (Elide(image) is { } elided)
            {
                root["image"] = elided;
            }
        }

        return node;
    }

    private static string? Elide(JsonNode? reference)
    {
        if (reference is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var text = value.GetValue<string>();
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        return text.StartsWith("data:", StringComparison.Ordinal) && comma > 0
            ? $"{text[..(comma + 1)]}…({text.Length - comma - 1} base64 characters elided)"
            : null;
    }
}
