using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Drops;

/// <summary>One <c>Microsoft.Storage.BlobCreated</c> event, in either delivery schema.</summary>
public sealed record BlobCreatedNotice(string EventId, string Container, string BlobName, string ETag, Uri Url, string? ContentType, long? ContentLength, string? Api)
{
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private const string BlobsSegment = "/blobs/";

    public SourceBlob Source => new(Container, BlobName, ETag, Url);

    /// <summary>
    /// Reads a message of the event queue: an Event Grid schema event or a CloudEvent (one per message as Event Grid's
    /// storage-queue destination writes them; a JSON array of events is accepted too). Events of other types are skipped.
    /// </summary>
    /// <exception cref="FormatException">The message is not an event in either schema, or a BlobCreated event lacks its blob.</exception>
    public static IReadOnlyList<BlobCreatedNotice> Parse(BinaryData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!System.Text.Unicode.Utf8.IsValid(data.ToMemory().Span))
        {
            throw new FormatException("The message is not UTF-8 text.");
        }

        bool isCloudEvent;
        try
        {
            using var document = JsonDocument.Parse(data);
            var first = document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.GetArrayLength() > 0
                ? document.RootElement[0]
                : document.RootElement;
            if (first.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The message holds no event: it is neither a JSON object nor a non-empty array of them.");
            }

            isCloudEvent = first.TryGetProperty("specversion", out _);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The message is not JSON: {e.Message}", e);
        }

        var notices = new List<BlobCreatedNotice>();
        try
        {
            if (isCloudEvent)
            {
                foreach (var cloudEvent in CloudEvent.ParseMany(data, skipValidation: false))
                {
                    if (cloudEvent.Type == SystemEventNames.StorageBlobCreated)
                    {
                        // A BlobCreated event without its data names no blob version: nothing could become a job.
                        notices.Add(cloudEvent.TryGetSystemEventData(out var payload) && payload is StorageBlobCreatedEventData blobData
                            ? Create(cloudEvent.Id, cloudEvent.Subject, blobData)
                            : throw new FormatException($"BlobCreated event {LogText.Cut(cloudEvent.Id, 64)} has no data (url, eTag) of the blob."));
                    }
                }
            }
            else
            {
                foreach (var gridEvent in EventGridEvent.ParseMany(data))
                {
                    if (gridEvent.EventType == SystemEventNames.StorageBlobCreated)
                    {
                        notices.Add(gridEvent.TryGetSystemEventData(out var payload) && payload is StorageBlobCreatedEventData blobData
                            ? Create(gridEvent.Id, gridEvent.Subject, blobData)
                            : throw new FormatException($"BlobCreated event {LogText.Cut(gridEvent.Id, 64)} has no data (url, eTag) of the blob."));
                    }
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new FormatException($"The message is not an Event Grid event or CloudEvent: {e.Message}", e);
        }

        return notices;
    }

    private static BlobCreatedNotice Create(string eventId, string? subject, StorageBlobCreatedEventData data)
    {
        // subject: /blobServices/default/containers/{container}/blobs/{name}; the name may itself contain "/".
        if (subject is null || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal)
            || subject.IndexOf(BlobsSegment, SubjectPrefix.Length, StringComparison.Ordinal) is var blobs && blobs < 0)
        {
            throw new FormatException($"Event {LogText.Cut(eventId, 64)} has no blob subject ('{LogText.Cut(subject, 128)}').");
        }

        var container = subject[SubjectPrefix.Length..blobs];
        var name = subject[(blobs + BlobsSegment.Length)..];
        if (container.Length == 0 || name.Length == 0 || string.IsNullOrEmpty(data.ETag)
            || !Uri.TryCreate(data.Url, UriKind.Absolute, out var url))
        {
            throw new FormatException($"Event {LogText.Cut(eventId, 64)} lacks the container, blob name, eTag or url of the blob.");
        }

        return new BlobCreatedNotice(eventId, container, name, data.ETag.Trim('"'), url, data.ContentType, data.ContentLength, data.Api);
    }
}
