using System.Globalization;
using System.Text.Json;
using Azure.Messaging;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Events;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Webhooks;

/// <summary>Data of <c>Seedream.Webhook.Failed</c>: which notification of which job gave up, and why. Never the secret.</summary>
public sealed record WebhookFailedEventData(
    string JobId, string WebhookId, string Event, string Url, int Attempts, int? LastStatus, string? LastError, string DeadLetterBlob, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Runs one delivery message: sends the notification, records the attempt beside the job, and decides what follows:
/// 2xx delivered; 410 stops; timeouts, connection failures, 429 and 5xx are retried with exponential backoff and jitter
/// within <see cref="WebhookOptions.RetryWindow"/>; other answers stop after <see cref="WebhookOptions.MaxClientErrorAttempts"/>;
/// a refused target stops at once. Giving up writes a dead-letter record and publishes <c>Seedream.Webhook.Failed</c>.
/// </summary>
public sealed class WebhookDeliverer
{
    public const string FailedType = "Seedream.Webhook.Failed";

    private readonly JobStore _jobs;
    private readonly WebhookDeliveryStore _log;
    private readonly WebhookQueue _queue;
    private readonly WebhookSender _sender;
    private readonly JobEventPublisher _events;
    private readonly BlobContainerClient _deadLetters;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDeliverer> _logger;
    private readonly DeadLetters _letters;

    public WebhookDeliverer(
        JobStore jobs, WebhookDeliveryStore log, WebhookQueue queue, WebhookSender sender, JobEventPublisher events, BlobServiceClient blobs,
        IOptions<DeadLetterOptions> deadLetters, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDeliverer> logger, DeadLetters letters)
    {
        _letters = letters;
        ArgumentNullException.ThrowIfNull(blobs);
        _jobs = jobs;
        _log = log;
        _queue = queue;
        _sender = sender;
        _events = events;
        _deadLetters = blobs.GetBlobContainerClient(deadLetters.Value.DeadLetterContainer);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public async Task DeliverAsync(QueueMessage queued, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queued);
        if (WebhookDeliveryMessage.TryParse(queued.Body?.ToString() ?? string.Empty) is not { } message)
        {
            await DeadLetterAsync(queued, "UndecodableMessage", "Not a webhook delivery message (JSON with jobId, webhookId, event and attempt).", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!SubmissionIntake.JobIdPattern().IsMatch(message.JobId)
            || await _jobs.GetAsync(message.JobId, cancellationToken).ConfigureAwait(false) is not { Job: { Webhook: { } webhook } job })
        {
            await DeadLetterAsync(queued, "UnknownJob", $"Job '{LogText.Cut(message.JobId, 64)}' does not exist or has no callback.", cancellationToken).ConfigureAwait(false);
            return;
        }

        var log = await _log.GetAsync(job.Id, cancellationToken).ConfigureAwait(false);
        var notification = log?.Find(message.WebhookId);
        var made = notification?.Attempts.Count ?? 0;
        if (message.Attempt != made + 1 || (notification is { State: not WebhookDeliveryState.Pending } && !message.Redeliver))
        {
            // A duplicate (an outbox republish, a redelivered message): the attempt it stands for was made already.
            return;
        }

        if (Body(job, message) is not { } body)
        {
            await DeadLetterAsync(queued, "UnknownNotification", $"Job {job.Id} holds no notification '{LogText.Cut(message.WebhookId, 80)}'.", cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = await _sender.SendAsync(webhook.Url, message.WebhookId, body, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var (state, next) = Decide(result, message, now);
        if (next is { } delay)
        {
            // Queued before the attempt is recorded: a crash in between repeats a delivery rather than losing one.
            await _queue.EnqueueAsync(message with { Attempt = message.Attempt + 1, Redeliver = false }, delay, cancellationToken).ConfigureAwait(false);
        }

        var attempt = new WebhookAttempt(message.Attempt, now, result.Status, result.Error, (int)result.Duration.TotalMilliseconds, next is { } d ? now + d : null);
        if (state == WebhookDeliveryState.Failed)
        {
            await GiveUpAsync(job, webhook, message, attempt, cancellationToken).ConfigureAwait(false);
        }

        await _log.UpdateAsync(job.Id, current =>
        {
            var entry = current.Find(message.WebhookId);
            if (entry is null)
            {
                current.Notifications.Add(entry = new WebhookNotification { WebhookId = message.WebhookId, Event = message.Event });
            }

            if (entry.Attempts.Exists(a => a.Number == attempt.Number))
            {
                return false;
            }

            entry.Attempts.Add(attempt);
            entry.State = state;
            return true;
        }, CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Webhook {WebhookId} of job {JobId}, attempt {Attempt}: {Status} -> {State}.",
            LogText.Cut(message.WebhookId, 80), job.Id, message.Attempt, result.Status?.ToString(CultureInfo.InvariantCulture) ?? LogText.Cut(result.Error ?? string.Empty, 120), state);
    }

    private Task DeadLetterAsync(QueueMessage queued, string code, string reason, CancellationToken cancellationToken) =>
        _letters.WriteAsync(DeadLetter.From(_queue.Client.Name, queued, code, reason), cancellationToken);

    /// <summary>The same CloudEvent Event Grid got, made again from the job, identical on every attempt (time: the notification's).</summary>
    private byte[]? Body(GenerationJob job, WebhookDeliveryMessage message)
    {
        CloudEvent? cloudEvent = message.Event switch
        {
            WebhookEvents.JobEnded when job.TerminalEvent is { } terminal && terminal.Id == message.WebhookId => _events.CreateTerminalEvent(job),
            WebhookEvents.ImageStored when job.Images.Find(i => i.Index == message.ImageIndex) is { } image => _events.CreateImageStoredEvent(job, image),
            _ => null,
        };
        if (cloudEvent is null)
        {
            return null;
        }

        cloudEvent.Time = message.Since;
        cloudEvent.ExtensionAttributes.Remove("traceparent");
        if (job.TraceParent is not null)
        {
            cloudEvent.ExtensionAttributes["traceparent"] = job.TraceParent;
        }

        return JsonSerializer.SerializeToUtf8Bytes(cloudEvent);
    }

    private (WebhookDeliveryState State, TimeSpan? Next) Decide(WebhookSendResult result, WebhookDeliveryMessage message, DateTimeOffset now)
    {
        switch (result.Status)
        {
            case >= 200 and < 300:
                return (WebhookDeliveryState.Delivered, null);
            case 410:
                return (WebhookDeliveryState.Gone, null);
        }

        if (result.Refused)
        {
            return (WebhookDeliveryState.Failed, null);
        }

        var transient = result.Status is null or 408 or 429 or >= 500;
        var delay = Backoff(message.Attempt);
        var retry = transient ? now + delay - message.Since <= _options.RetryWindow : message.Attempt < _options.MaxClientErrorAttempts;
        return retry ? (WebhookDeliveryState.Pending, delay) : (WebhookDeliveryState.Failed, null);
    }

    /// <summary>Exponential from the initial delay, capped, with "equal jitter": half fixed, half random, so that a recovering receiver is not hit by every retry at once.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponential = _options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    private async Task GiveUpAsync(GenerationJob job, WebhookSubscription webhook, WebhookDeliveryMessage message, WebhookAttempt last, CancellationToken cancellationToken)
    {
        var blobName = $"webhook-deliveries/{message.WebhookId}.{message.Attempt}.json";
        var target = webhook.Url.GetLeftPart(UriPartial.Path);
        var record = new { message.JobId, message.WebhookId, message.Event, Url = target, message.Since, LastAttempt = last };
        await _deadLetters.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _deadLetters.GetBlobClient(blobName).UploadAsync(BinaryData.FromObjectAsJson(record, JobJson.Options), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            Metadata = new Dictionary<string, string> { ["queue"] = _queue.Client.Name, ["code"] = "WebhookFailed", ["job_id"] = job.Id },
        }, cancellationToken).ConfigureAwait(false);

        var data = new WebhookFailedEventData(job.Id, message.WebhookId, message.Event, target, message.Attempt, last.Status, last.Error, $"{_deadLetters.Name}/{blobName}", job.Metadata);
        var cloudEvent = new CloudEvent(_events.Source, FailedType, BinaryData.FromObjectAsJson(data, JobJson.Options), "application/json", CloudEventDataFormat.Json)
        {
            Id = $"{message.WebhookId}.webhook-failed.{message.Attempt}",
            Subject = $"generations/{job.Id}",
        };
        await _events.PublishAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
        _logger.LogWarning("Webhook {WebhookId} of job {JobId} gave up after {Attempts} attempts; dead-lettered as {Blob}.", LogText.Cut(message.WebhookId, 80), job.Id, message.Attempt, blobName);
    }
}
