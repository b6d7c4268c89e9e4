using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Batches;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;
using Seedream.Functions.Tests.Drops;

namespace Seedream.Functions.Tests.Batches;

/// <summary>A <c>.jsonl</c> file dropped into the inbox becomes a batch: streamed into the batch's input, fanned out and finished like <c>POST /api/batches</c>.</summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchDropTests
{
    private readonly PipelineFixture _fixture;

    public BatchDropTests(PipelineFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_jsonl_drop_becomes_one_batch_even_when_its_event_comes_twice_and_is_marked_with_it()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["InboxContainer"] = $"inbox-{suffix}", ["InboxEventsQueue"] = $"drops-{suffix}" });
        var inbox = harness.Pipeline.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient($"inbox-{suffix}");
        var events = harness.Pipeline.Services.GetRequiredService<QueueServiceClient>().GetQueueClient($"drops-{suffix}");
        await inbox.CreateIfNotExistsAsync();
        await events.CreateIfNotExistsAsync();
        var marker = "drop-" + Guid.NewGuid().ToString("N")[..8];
        var (text, valid, broken) = BatchLines.Mixed(21, marker);
        var content = Encoding.UTF8.GetBytes(text);
        var etag = (await inbox.GetBlobClient("feeds/catalogue.JSONL").UploadAsync(new BinaryData(content))).Value.ETag.ToString();
        var drop = new DroppedBlob(inbox.Name, "feeds/catalogue.JSONL", etag, content.Length, inbox.GetBlobClient("feeds/catalogue.JSONL").Uri);
        var id = BatchDropService.BatchIdOf(new SourceBlob(drop.Container, drop.Name, etag.Trim('"'), drop.Url));

        // Event Grid delivers at least once: the second delivery finds the batch.
        for (var delivery = 0; delivery < 2; delivery++)
        {
            await events.SendMessageAsync(DropKit.BlobCreatedEvent(drop, EventSchema.EventGrid));
            var message = (await events.ReceiveMessageAsync()).Value;
            await harness.Pipeline.Create<ProcessInboxEvent>().RunAsync(message, CancellationToken.None);
            await events.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }

        var marks = (await inbox.GetBlobClient(drop.Name).GetPropertiesAsync()).Value.Metadata;
        Assert.Equal(id, marks[BatchDropService.BatchIdKey]);
        Assert.Equal("validating", marks[InboxStore.StatusKey]);
        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(content.Length, batch.InputBytes);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(valid.Order(), output.Select(BatchLines.CustomId).Order());
        Assert.Equal(broken, errors.Count);
        Assert.Equal(valid.Count, harness.GenerationsFor(marker).Count);
        Assert.Single(harness.BatchEvents(id));
        // No drop job: the file is a batch, not a request.
        Assert.Null(await harness.Pipeline.Services.GetRequiredService<JobStore>().GetAsync(drop.JobId, CancellationToken.None));
    }

    [Fact]
    public async Task An_empty_jsonl_drop_is_marked_failed_and_dead_lettered()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["InboxContainer"] = $"inbox-{suffix}", ["InboxEventsQueue"] = $"drops-{suffix}" });
        var inbox = harness.Pipeline.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient($"inbox-{suffix}");
        var events = harness.Pipeline.Services.GetRequiredService<QueueServiceClient>().GetQueueClient($"drops-{suffix}");
        await inbox.CreateIfNotExistsAsync();
        await events.CreateIfNotExistsAsync();
        var etag = (await inbox.GetBlobClient("empty.jsonl").UploadAsync(BinaryData.Empty)).Value.ETag.ToString();
        var drop = new DroppedBlob(inbox.Name, "empty.jsonl", etag, 0, inbox.GetBlobClient("empty.jsonl").Uri);
        await events.SendMessageAsync(DropKit.BlobCreatedEvent(drop, EventSchema.EventGrid));
        var message = (await events.ReceiveMessageAsync()).Value;

        await harness.Pipeline.Create<ProcessInboxEvent>().RunAsync(message, CancellationToken.None);

        var marks = (await inbox.GetBlobClient(drop.Name).GetPropertiesAsync()).Value.Metadata;
        Assert.Equal("failed", marks[InboxStore.StatusKey]);
        Assert.Equal(BatchDropService.BatchNotAcceptedCode, marks[InboxStore.ErrorCodeKey]);
        Assert.Contains("empty", marks[InboxStore.ErrorKey], StringComparison.Ordinal);
        Assert.Null(await harness.Batches.GetAsync(BatchDropService.BatchIdOf(new SourceBlob(drop.Container, drop.Name, etag.Trim('"'), drop.Url)), CancellationToken.None));
    }
}
