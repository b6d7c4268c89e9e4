using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Webhooks;

/// <summary>
/// One attempt to deliver, as a message on the <c>webhook-deliveries</c> queue. <paramref name="Attempt"/> is the
/// attempt it starts (a message for an attempt already made is a duplicate and does nothing); retries are new
/// messages made visible after the backoff, so no worker waits.
/// </summary>
/// <param name="Since">When the notification was made (or redelivered): the retry window and the event's time count from it.</param>
/// <param name="Redeliver">An operator's redelivery: sent again whatever the notification's state.</param>
public sealed record WebhookDeliveryMessage(string JobId, string WebhookId, string Event, int? ImageIndex, int Attempt, DateTimeOffset Since, bool Redeliver = false)
{
    public string ToJson() => JsonSerializer.Serialize(this, JobJson.Options);

    public static WebhookDeliveryMessage? TryParse(string text)
    {
        try
        {
            var message = JsonSerializer.Deserialize<WebhookDeliveryMessage>(text, JobJson.Options);
            return message is { JobId.Length: > 0, WebhookId.Length: > 0, Event.Length: > 0, Attempt: > 0 } ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The <c>webhook-deliveries</c> queue (base64, as host.json tells the host), created on first use.</summary>
public sealed class WebhookQueue
{
    private readonly QueueClient _queue;
    private volatile bool _created;

    public WebhookQueue(QueueServiceClient queues, IOptions<WebhookQueueOptions> options)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _queue = queues.GetQueueClient(options.Value.WebhookDeliveriesQueue);
    }

    public QueueClient Client => _queue;

    public async Task EnqueueAsync(WebhookDeliveryMessage message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_created)
        {
            await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }

        // Visibility is in whole seconds (a shorter delay would be cut to none); a retry delay never nears the 7-day message lifetime.
        var visibility = delay > TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Ceiling(delay.Value.TotalSeconds)) : (TimeSpan?)null;
        await _queue.SendMessageAsync(message.ToJson(), visibility, timeToLive: null, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// The pipeline's two hooks into callbacks: when a job ends (in the terminal event's outbox, so a crash repeats the
/// callback with the same webhook-id rather than losing it) and after an image is stored, a job whose submission named a
/// callback for that notification gets a delivery queued (never sent from the worker).
/// </summary>
public sealed class WebhookNotifier : IJobEndedHandler
{
    private readonly WebhookQueue _queue;
    private readonly TimeProvider _time;

    public WebhookNotifier(WebhookQueue queue, TimeProvider time)
    {
        _queue = queue;
        _time = time;
    }

    /// <summary>Queues the job-ended notification (the terminal event) when the job's callback asks for it.</summary>
    public Task JobEndedAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Webhook?.Wants(WebhookEvents.JobEnded) == true && job.TerminalEvent is { } terminal
            ? _queue.EnqueueAsync(new WebhookDeliveryMessage(job.Id, terminal.Id, WebhookEvents.JobEnded, null, 1, _time.GetUtcNow()), null, cancellationToken)
            : Task.CompletedTask;
    }

    Task IJobEndedHandler.OnJobEndedAsync(GenerationJob job, CancellationToken cancellationToken) => JobEndedAsync(job, cancellationToken);

    /// <summary>Queues the image-stored notification when the job's callback asks for it.</summary>
    public Task ImageStoredAsync(GenerationJob job, StoredImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(image);
        return job.Webhook?.Wants(WebhookEvents.ImageStored) == true
            ? _queue.EnqueueAsync(new WebhookDeliveryMessage(job.Id, JobEventPublisher.ImageStoredEventId(job.Id, image.Index), WebhookEvents.ImageStored, image.Index, 1, _time.GetUtcNow()), null, cancellationToken)
            : Task.CompletedTask;
    }
}
