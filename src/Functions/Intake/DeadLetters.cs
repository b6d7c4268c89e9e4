using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Intake;

/// <summary>Name of the dead-letter container; bound from the root app settings (docs/architecture.md §4).</summary>
public sealed class DeadLetterOptions
{
    [Required, RegularExpression(StorageNames.ContainerPattern)]
    public string DeadLetterContainer { get; set; } = "dead-letters";
}

/// <summary>A queue message that maps to no job of its own: what it held and why it could not become a job.</summary>
/// <param name="Code">Machine-readable reason: <c>UndecodableMessage</c>, <c>NotAnEvent</c>, <c>IdConflict</c>, <c>HandlerFailed</c>.</param>
public sealed record DeadLetter(string Queue, string MessageId, long DequeueCount, BinaryData Body, string Code, string Reason)
{
    public static DeadLetter From(string queue, QueueMessage message, string code, string reason)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(queue, message.MessageId ?? Guid.NewGuid().ToString("N"), message.DequeueCount, message.Body ?? BinaryData.Empty, code, reason);
    }
}

/// <summary>Data of the Failed event of a dead-lettered message.</summary>
public sealed record DeadLetterEventData(string Queue, string MessageId, long DequeueCount, string DeadLetterBlob, JobError Error);

/// <summary>
/// The trace of a message that cannot be a job: its raw bytes in the dead-letter container (blob
/// <c>{queue}/{messageId}</c>, with reason, queue, message id and dequeue count as blob metadata) and a
/// <c>Seedream.ImageSeries.Failed</c> event whose subject is <c>queues/{queue}/messages/{messageId}</c>.
/// Writing the same message twice overwrites one blob and repeats one event id, so redeliveries leave one trace.
/// </summary>
public sealed class DeadLetters
{
    private readonly BlobContainerClient _container;
    private readonly EventGridPublisherClient _events;
    private readonly EventGridOptions _eventOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<DeadLetters> _logger;

    public DeadLetters(BlobServiceClient blobs, IOptions<DeadLetterOptions> options, EventGridPublisherClient events, IOptions<EventGridOptions> eventOptions, TimeProvider time, ILogger<DeadLetters> logger)
    {
        _container = blobs.GetBlobContainerClient(options.Value.DeadLetterContainer);
        _events = events;
        _eventOptions = eventOptions.Value;
        _time = time;
        _logger = logger;
    }

    public BlobContainerClient Container => _container;

    public static string BlobName(string queue, string messageId) => $"{queue}/{messageId}";

    public async Task WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var name = BlobName(letter.Queue, letter.MessageId);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _container.GetBlobClient(name).UploadAsync(letter.Body, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            Metadata = new Dictionary<string, string>
            {
                ["queue"] = letter.Queue,
                ["message_id"] = InboxStore.AsciiSafe(letter.MessageId),
                ["dequeue_count"] = letter.DequeueCount.ToString(CultureInfo.InvariantCulture),
                ["code"] = letter.Code,
                ["reason"] = InboxStore.AsciiSafe(letter.Reason),
                ["dead_lettered_at"] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            },
        }, cancellationToken).ConfigureAwait(false);

        var error = new JobError(letter.Code, letter.Reason);
        var data = new DeadLetterEventData(letter.Queue, letter.MessageId, letter.DequeueCount, $"{_container.Name}/{name}", error);
        var cloudEvent = new CloudEvent(_eventOptions.Source, JobEventPublisher.FailedType, BinaryData.FromObjectAsJson(data, JobJson.Options), "application/json", CloudEventDataFormat.Json)
        {
            Id = $"{letter.Queue}.{letter.MessageId}.dead-lettered",
            Subject = $"queues/{letter.Queue}/messages/{letter.MessageId}",
        };
        await _events.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
        // A warning: the message produced no job, and warnings of background services reach the host console (HostConsoleLines).
        _logger.LogWarning("Message {MessageId} of queue {Queue} dead-lettered ({Code}): {Reason}", LogText.Cut(letter.MessageId, 64), letter.Queue, letter.Code, LogText.Cut(letter.Reason, 300));
    }
}
