using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Batches;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;
using Seedream.Functions.Tests.Drops;

namespace Seedream.Functions.Tests.Batches;

/// <summary>
/// A <c>.jsonl</c> file dropped into the inbox becomes a batch: streamed into the batch's input, fanned out and finished
/// like <c>POST /api/batches</c>, and the blob is marked with the batch's final status when it ends.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchDropTests
{
    private readonly PipelineFixture _fixture;

    public BatchDropTests(PipelineFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_jsonl_drop_becomes_one_batch_even_when_its_event_comes_twice_and_is_marked_with_its_end()
    {
        await using var inbox = new BatchInbox(_fixture);
        var marker = "drop-" + Guid.NewGuid().ToString("N")[..8];
        var (text, valid, broken) = BatchLines.Mixed(21, marker);
        var content = Encoding.UTF8.GetBytes(text);
        var drop = await inbox.UploadAsync("feeds/catalogue.JSONL", content);
        var id = BatchDropService.BatchIdOf(drop.Source);

        // Event Grid delivers at least once: the second delivery finds the batch.
        await inbox.DeliverAsync(drop);
        await inbox.DeliverAsync(drop);

        var marks = await inbox.MarksAsync(drop);
        Assert.Equal(id, marks[BatchDropService.BatchIdKey]);
        Assert.Equal("validating", marks[InboxStore.StatusKey]);
        var batch = await inbox.Harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(drop.Source, batch.Source);
        Assert.Equal(content.Length, batch.InputBytes);
        var output = await inbox.Harness.ReadLinesAsync(batch.OutputFile);
        var errors = await inbox.Harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(valid.Order(), output.Select(BatchLines.CustomId).Order());
        Assert.Equal(broken, errors.Count);
        Assert.Equal(valid.Count, inbox.Harness.GenerationsFor(marker).Count);
        Assert.Single(inbox.Harness.BatchEvents(id));
        // No drop job: the file is a batch, not a request.
        Assert.Null(await inbox.Harness.Pipeline.Services.GetRequiredService<JobStore>().GetAsync(drop.Blob.JobId, CancellationToken.None));
        marks = await inbox.MarksAsync(drop);
        Assert.Equal(id, marks[BatchDropService.BatchIdKey]);
        Assert.Equal("completed", marks[InboxStore.StatusKey]);
        Assert.False(marks.ContainsKey(InboxStore.ErrorCodeKey));

        // A delivery of the event after the end (Event Grid retries for a day) keeps the final mark.
        await inbox.DeliverAsync(drop);
        Assert.Equal("completed", (await inbox.MarksAsync(drop))[InboxStore.StatusKey]);
        Assert.Single(inbox.Harness.BatchEvents(id));
    }

    [Fact]
    public async Task A_cancelled_jsonl_drop_is_marked_cancelled()
    {
        await using var inbox = new BatchInbox(_fixture, new Dictionary<string, string?> { ["Batches:ChunkLines"] = "10" });
        var marker = "drop-cancel-" + Guid.NewGuid().ToString("N")[..8];
        var text = string.Concat(Enumerable.Range(1, 30).Select(n => BatchLines.Line($"c-{n}", BatchLines.Example(n, marker)) + "\n"));
        var drop = await inbox.UploadAsync("nightly.jsonl", Encoding.UTF8.GetBytes(text));
        var id = BatchDropService.BatchIdOf(drop.Source);
        await inbox.DeliverAsync(drop);
        // The fan-out reads every line; three jobs run; then the cancel lands.
        await inbox.Harness.RunQueuesAsync(inbox.Harness.Batches.Control, max: 1);
        await inbox.Harness.RunQueuesAsync(inbox.Harness.Batches.Generation, max: 3);

        Assert.Equal(StatusCodes.Status202Accepted, (await inbox.Harness.CancelAsync(id)).Status);
        var batch = await inbox.Harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Cancelled, batch.Status);
        var marks = await inbox.MarksAsync(drop);
        Assert.Equal(id, marks[BatchDropService.BatchIdKey]);
        Assert.Equal("cancelled", marks[InboxStore.StatusKey]);
        Assert.Equal(BatchEventPublisher.CancelledType, Assert.Single(inbox.Harness.BatchEvents(id)).Type);
    }

    [Fact]
    public async Task A_jsonl_drop_with_no_valid_line_is_marked_failed_with_the_batch_error()
    {
        await using var inbox = new BatchInbox(_fixture);
        var drop = await inbox.UploadAsync("broken.jsonl", Encoding.UTF8.GetBytes("not json\n{\"custom_id\": \"x\"}\n"));
        var id = BatchDropService.BatchIdOf(drop.Source);
        await inbox.DeliverAsync(drop);

        var batch = await inbox.Harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Failed, batch.Status);
        var marks = await inbox.MarksAsync(drop);
        Assert.Equal("failed", marks[InboxStore.StatusKey]);
        Assert.Equal(id, marks[BatchDropService.BatchIdKey]);
        Assert.Equal(batch.Error!.Code, marks[InboxStore.ErrorCodeKey]);
        Assert.Contains("2 lines", Uri.UnescapeDataString(marks[InboxStore.ErrorKey]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_jsonl_drop_is_marked_failed_and_dead_lettered()
    {
        await using var inbox = new BatchInbox(_fixture);
        var drop = await inbox.UploadAsync("empty.jsonl", []);

        await inbox.DeliverAsync(drop);

        var marks = await inbox.MarksAsync(drop);
        Assert.Equal("failed", marks[InboxStore.StatusKey]);
        Assert.Equal(BatchDropService.BatchNotAcceptedCode, marks[InboxStore.ErrorCodeKey]);
        Assert.Contains("empty", marks[InboxStore.ErrorKey], StringComparison.Ordinal);
        Assert.Null(await inbox.Harness.Batches.GetAsync(BatchDropService.BatchIdOf(drop.Source), CancellationToken.None));
    }

    /// <summary>A batch harness with its own inbox container and inbox event queue, delivering BlobCreated events as the host does.</summary>
    private sealed class BatchInbox : IAsyncDisposable
    {
        private readonly BlobContainerClient _container;
        private readonly QueueClient _events;

        public BatchInbox(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
        {
            var suffix = Guid.NewGuid().ToString("N")[..12];
            var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["InboxContainer"] = $"inbox-{suffix}",
                ["InboxEventsQueue"] = $"drops-{suffix}",
            };
            Harness = new BatchHarness(fixture, values);
            _container = Harness.Pipeline.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient($"inbox-{suffix}");
            _events = Harness.Pipeline.Services.GetRequiredService<QueueServiceClient>().GetQueueClient($"drops-{suffix}");
        }

        public BatchHarness Harness { get; }

        public async Task<(DroppedBlob Blob, SourceBlob Source)> UploadAsync(string name, byte[] content)
        {
            await _container.CreateIfNotExistsAsync();
            await _events.CreateIfNotExistsAsync();
            var blob = _container.GetBlobClient(name);
            var etag = (await blob.UploadAsync(new BinaryData(content))).Value.ETag.ToString();
            var dropped = new DroppedBlob(_container.Name, name, etag, content.Length, blob.Uri);
            return (dropped, new SourceBlob(dropped.Container, dropped.Name, etag.Trim('"'), dropped.Url));
        }

        /// <summary>One delivery of the blob's BlobCreated event to the inbox function.</summary>
        public async Task DeliverAsync((DroppedBlob Blob, SourceBlob Source) drop)
        {
            await _events.SendMessageAsync(DropKit.BlobCreatedEvent(drop.Blob, EventSchema.EventGrid));
            var message = (await _events.ReceiveMessageAsync()).Value;
            await Harness.Pipeline.Create<ProcessInboxEvent>().RunAsync(message, CancellationToken.None);
            await _events.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }

        public async Task<IDictionary<string, string>> MarksAsync((DroppedBlob Blob, SourceBlob Source) drop) =>
            (await _container.GetBlobClient(drop.Blob.Name).GetPropertiesAsync()).Value.Metadata;

        public ValueTask DisposeAsync() => Harness.DisposeAsync();
    }
}
