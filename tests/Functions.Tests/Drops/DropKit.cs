using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Drops;

namespace Seedream.Functions.Tests.Drops;

public enum EventSchema
{
    EventGrid,
    CloudEvents,
}

/// <summary>
/// A pipeline harness with its own inbox and event queue, standing in for Azure's Event Grid: drops upload the blob to
/// Azurite and enqueue its BlobCreated event as the storage-queue destination writes it (the event JSON, base64).
/// </summary>
internal sealed class DropKit : IAsyncDisposable
{
    private static readonly HttpClient Http = new();

    private DropKit(PipelineHarness harness, string inbox, string eventsQueue)
    {
        Harness = harness;
        var blobs = harness.Services.GetRequiredService<BlobServiceClient>();
        var queues = harness.Services.GetRequiredService<QueueServiceClient>();
        Inbox = blobs.GetBlobContainerClient(inbox);
        Events = queues.GetQueueClient(eventsQueue);
        PoisonEvents = queues.GetQueueClient(eventsQueue + "-poison");
    }

    public PipelineHarness Harness { get; }

    public BlobContainerClient Inbox { get; }

    public QueueClient Events { get; }

    public QueueClient PoisonEvents { get; }

    public static async Task<DropKit> CreateAsync(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var values = new Dictionary<string, string?> { ["InboxContainer"] = $"inbox-{suffix}", ["InboxEventsQueue"] = $"drops-{suffix}" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var kit = new DropKit(fixture.CreateHarness(values), values["InboxContainer"]!, values["InboxEventsQueue"]!);
        await kit.Inbox.CreateIfNotExistsAsync();
        await kit.Events.CreateIfNotExistsAsync();
        await kit.PoisonEvents.CreateIfNotExistsAsync();
        return kit;
    }

    public ValueTask DisposeAsync() => Harness.DisposeAsync();

    /// <summary>A real PNG (the emulator's deterministic reference image) of the given size.</summary>
    public async Task<byte[]> PngAsync(string name, int width = 64, int height = 64) =>
        await Http.GetByteArrayAsync(Harness.Emulator.ReferenceImageUrl(name, width, height));

    /// <summary>Uploads a blob to the inbox without an event; returns its ETag as the service reports it.</summary>
    public async Task<string> UploadAsync(string name, byte[] content, IDictionary<string, string>? metadata = null, string? contentType = null, BlobContainerClient? container = null)
    {
        var response = await (container ?? Inbox).GetBlobClient(name).UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            Metadata = metadata,
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType ?? (name.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "image/png") },
        });
        return response.Value.ETag.ToString();
    }

    /// <summary>Uploads the blob and enqueues its BlobCreated event; returns the id its job gets.</summary>
    public async Task<DroppedBlob> DropAsync(string name, byte[] content, IDictionary<string, string>? metadata = null, EventSchema schema = EventSchema.EventGrid)
    {
        var etag = await UploadAsync(name, content, metadata);
        var dropped = new DroppedBlob(Inbox.Name, name, etag, content.Length, Inbox.GetBlobClient(name).Uri);
        await EnqueueEventAsync(dropped, schema);
        return dropped;
    }

    /// <summary>The event JSON as Event Grid writes it to a storage queue: one event per message, base64-encoded (the app's queue client encodes).</summary>
    public async Task EnqueueEventAsync(DroppedBlob blob, EventSchema schema) => await Events.SendMessageAsync(BlobCreatedEvent(blob, schema));

    /// <summary>A <c>Microsoft.Storage.BlobCreated</c> event in the shape the storage system topic delivers it.</summary>
    public static string BlobCreatedEvent(DroppedBlob blob, EventSchema schema)
    {
        var topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-seedream/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";
        var subject = $"/blobServices/default/containers/{blob.Container}/blobs/{blob.Name}";
        var id = Guid.NewGuid().ToString();
        var data = new JsonObject
        {
            ["api"] = "PutBlob",
            ["clientRequestId"] = Guid.NewGuid().ToString(),
            ["requestId"] = Guid.NewGuid().ToString(),
            ["eTag"] = blob.ETag.Trim('"'),
            ["contentType"] = blob.Name.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "image/png",
            ["contentLength"] = blob.Length,
            ["blobType"] = "BlockBlob",
            ["url"] = blob.Url.AbsoluteUri,
            ["sequencer"] = "0000000000000000000000000000B35F0000000000000173",
            ["storageDiagnostics"] = new JsonObject { ["batchId"] = Guid.NewGuid().ToString() },
        };
        var time = DateTimeOffset.UtcNow.ToString("O");
        JsonObject gridEvent = schema == EventSchema.EventGrid
            ? new JsonObject
            {
                ["topic"] = topic,
                ["subject"] = subject,
                ["eventType"] = "Microsoft.Storage.BlobCreated",
                ["id"] = id,
                ["data"] = data,
                ["dataVersion"] = "",
                ["metadataVersion"] = "1",
                ["eventTime"] = time,
            }
            : new JsonObject
            {
                ["source"] = topic,
                ["subject"] = subject,
                ["type"] = "Microsoft.Storage.BlobCreated",
                ["time"] = time,
                ["id"] = id,
                ["data"] = data,
                ["specversion"] = "1.0",
            };
        return gridEvent.ToJsonString();
    }

    /// <summary>
    /// Delivers the event queue to the drop functions as the host does (delete on success, retry, poison after
    /// <see cref="PipelineHarness.MaxDequeueCount"/>), then runs the generation queues until they are empty.
    /// </summary>
    public async Task RunAsync()
    {
        for (var round = 0; round < 20; round++)
        {
            var handled = await DeliverAsync(Events, message => Harness.Create<ProcessInboxEvent>().RunAsync(message, CancellationToken.None), PoisonEvents);
            handled += await DeliverAsync(PoisonEvents, message => Harness.Create<ProcessPoisonInboxEvent>().RunAsync(message, CancellationToken.None), poison: null);
            if (handled == 0)
            {
                break;
            }
        }

        await Harness.RunQueuesAsync();
    }

    public async Task<JsonElement> JobAsync(string id)
    {
        var result = await Harness.GetJobAsync(id);
        Assert.True(result.Status == 200, $"GET job {id}: {result.Status} {result.Text}");
        return result.Json;
    }

    public async Task<IDictionary<string, string>> MetadataAsync(string name) =>
        (await Inbox.GetBlobClient(name).GetPropertiesAsync()).Value.Metadata;

    /// <summary>No message is left anywhere that could retry: event queue, its poison queue, work queue and its poison queue.</summary>
    public async Task AssertQueuesEmptyAsync()
    {
        await Harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        foreach (var queue in new[] { Events, PoisonEvents, Harness.Storage.GenerationRequests, Harness.Storage.GenerationRequestsPoison })
        {
            var properties = await queue.GetPropertiesAsync();
            Assert.True(properties.Value.ApproximateMessagesCount == 0, $"{queue.Name} still holds {properties.Value.ApproximateMessagesCount} message(s).");
        }
    }

    private static async Task<int> DeliverAsync(QueueClient queue, Func<string, Task> function, QueueClient? poison)
    {
        var messages = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5))).Value;
        foreach (var message in messages)
        {
            try
            {
                await function(message.Body.ToString());
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
            catch (Exception) when (poison is not null)
            {
                if (message.DequeueCount >= PipelineHarness.MaxDequeueCount)
                {
                    await poison.SendMessageAsync(message.Body.ToString());
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
            }
        }

        return messages.Length;
    }
}

/// <summary>A blob dropped into the inbox, with the ETag its BlobCreated event carries.</summary>
internal sealed record DroppedBlob(string Container, string Name, string ETag, long Length, Uri Url)
{
    public string JobId => new SourceBlob(Container, Name, ETag.Trim('"'), Url).JobId();
}
