using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Batches;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Tests.Batches;

/// <summary>A pipeline harness with its own batch container and queues, the batch routes, and a queue loop over every queue a batch uses.</summary>
public sealed class BatchHarness : IAsyncDisposable
{
    private readonly PipelineFixture _fixture;

    public BatchHarness(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _fixture = fixture;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var values = new Dictionary<string, string?>
        {
            ["BatchesContainer"] = $"batches-{suffix}",
            ["BatchControlQueue"] = $"bctl-{suffix}",
            ["BatchGenerationRequestsQueue"] = $"bgen-{suffix}",
            ["Batches:ChunkLines"] = "25",
            ["Batches:CheckInterval"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        Pipeline = fixture.CreateHarness(values);
        Batches = Pipeline.Services.GetRequiredService<BatchStore>();
    }

    public PipelineHarness Pipeline { get; }

    public BatchStore Batches { get; }

    public ValueTask DisposeAsync() => Pipeline.DisposeAsync();

    public Task<HttpResult> SubmitAsync(string jsonl, string query = "") =>
        SubmitAsync(Encoding.UTF8.GetBytes(jsonl), query);

    public Task<HttpResult> SubmitAsync(byte[] body, string query = "") =>
        Pipeline.InvokeHttpAsync("POST", "/api/batches" + query, request => Pipeline.Create<SubmitBatch>().RunAsync(request, CancellationToken.None), new MemoryStream(body), body.Length, null);

    public Task<HttpResult> GetAsync(string id) =>
        Pipeline.InvokeHttpAsync("GET", $"/api/batches/{id}", request => Pipeline.Create<GetBatch>().RunAsync(request, id, CancellationToken.None), null, null, null);

    public Task<HttpResult> ListAsync(string query = "") =>
        Pipeline.InvokeHttpAsync("GET", "/api/batches" + query, request => Pipeline.Create<ListBatches>().RunAsync(request, CancellationToken.None), null, null, null);

    public Task<HttpResult> CancelAsync(string id) =>
        Pipeline.InvokeHttpAsync("POST", $"/api/batches/{id}/cancel", request => Pipeline.Create<CancelBatch>().RunAsync(request, id, CancellationToken.None), null, null, null);

    public Task<HttpResult> ViewAsync(string id, string query = "") =>
        Pipeline.InvokeHttpAsync("GET", $"/api/batches/{id}/view" + query, request => Pipeline.Create<ViewBatch>().RunAsync(request, id, CancellationToken.None), null, null, null);

    /// <summary>Submits and returns the new batch's id.</summary>
    public async Task<string> SubmitOkAsync(string jsonl, string query = "")
    {
        var result = await SubmitAsync(jsonl, query);
        Assert.True(result.Status == StatusCodes.Status202Accepted, result.Text);
        return result.Json.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Delivers messages of the batch control queue, the batch job queue and the pipeline's queues (with their poison
    /// queues) as the host does, until nothing is visible. <paramref name="only"/> limits the loop to one queue; <paramref name="max"/> to a number of messages.
    /// </summary>
    public async Task<int> RunQueuesAsync(QueueClient? only = null, int max = int.MaxValue)
    {
        var total = 0;
        for (var round = 0; round < 10_000 && total < max; round++)
        {
            var handled = 0;
            foreach (var (queue, poison, function) in Routes())
            {
                if (only is not null && queue.Name != only.Name)
                {
                    continue;
                }

                handled += await DeliverAsync(queue, poison, function, max - total - handled);
                if (total + handled >= max)
                {
                    break;
                }
            }

            total += handled;
            if (handled == 0)
            {
                // Recounts are sent with a delay; wait for them while the batch has not ended.
                if (only is not null || !await AnyInvisibleAsync())
                {
                    return total;
                }

                await Task.Delay(250);
            }
        }

        return total;
    }

    /// <summary>Runs everything until the batch has ended and its event went out.</summary>
    public async Task<BatchRecord> RunToEndAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            await RunQueuesAsync();
            if ((await Batches.GetAsync(id, CancellationToken.None))!.Batch is { IsFinished: true, TerminalEvent.PublishedAt: not null } batch)
            {
                return batch;
            }

            await Task.Delay(250);
        }

        var record = await Batches.GetAsync(id, CancellationToken.None);
        throw new TimeoutException($"Batch {id} did not end in 3 minutes: {JsonSerializer.Serialize(record?.Batch)}");
    }

    public async Task<List<JsonElement>> ReadLinesAsync(BatchResultFile? file)
    {
        Assert.NotNull(file);
        var content = (await Batches.Container.GetBlobClient(file.BlobName).DownloadContentAsync()).Value.Content.ToString();
        var lines = content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        Assert.Equal(file.Lines, lines.Count);
        return lines;
    }

    public async Task<List<string>> JobIdsAsync(string batchId)
    {
        var ids = new List<string>();
        await foreach (var blob in Pipeline.Storage.Jobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, BatchJobIds.JobPrefix(batchId), CancellationToken.None))
        {
            ids.Add(blob.Name[..^".json".Length]);
        }

        return ids;
    }

    public IReadOnlyList<CloudEvent> BatchEvents(string batchId) =>
        _fixture.EventGrid.Events.Where(e => e.Subject == $"batches/{batchId}").ToList();

    public IReadOnlyList<CloudEvent> JobEvents(string batchId) =>
        _fixture.EventGrid.Events.Where(e => e.Subject?.StartsWith($"generations/{batchId}-", StringComparison.Ordinal) == true).ToList();

    /// <summary>The emulator's generation POSTs whose prompt carries <paramref name="marker"/> (each test's lines carry their own).</summary>
    public IReadOnlyList<SeedreamEmulator.ReceivedRequest> GenerationsFor(string marker) =>
        Pipeline.Emulator.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal) && r.Body?.Contains(marker, StringComparison.Ordinal) == true).ToList();

    private IEnumerable<(QueueClient Queue, QueueClient? Poison, Func<QueueMessage, Task> Function)> Routes()
    {
        yield return (Batches.Control, Batches.ControlPoison, m => Pipeline.Create<ProcessBatchControl>().RunAsync(m, CancellationToken.None));
        yield return (Batches.ControlPoison, null, m => Pipeline.Create<ProcessPoisonBatchControl>().RunAsync(m, CancellationToken.None));
        yield return (Batches.Generation, Batches.GenerationPoison, m => Pipeline.Create<ProcessBatchGenerationRequest>().RunAsync(m, CancellationToken.None));
        yield return (Batches.GenerationPoison, null, m => Pipeline.Create<ProcessPoisonBatchGenerationRequest>().RunAsync(m, CancellationToken.None));
        yield return (Pipeline.Storage.GenerationRequests, Pipeline.Storage.GenerationRequestsPoison, m => Pipeline.Create<ProcessGenerationRequest>().RunAsync(m, CancellationToken.None));
        yield return (Pipeline.Storage.GenerationRequestsPoison, null, m => Pipeline.Create<ProcessPoisonGenerationRequest>().RunAsync(m, CancellationToken.None));
    }

    private async Task<bool> AnyInvisibleAsync()
    {
        foreach (var queue in new[] { Batches.Control, Batches.Generation, Pipeline.Storage.GenerationRequests })
        {
            if ((await queue.ExistsAsync()).Value && (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<int> DeliverAsync(QueueClient queue, QueueClient? poison, Func<QueueMessage, Task> function, int max)
    {
        if (max <= 0 || !(await queue.ExistsAsync()).Value)
        {
            return 0;
        }

        var messages = (await queue.ReceiveMessagesAsync(Math.Min(32, max), TimeSpan.FromMinutes(5))).Value;
        foreach (var message in messages)
        {
            try
            {
                await function(message);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
            catch (Exception) when (poison is not null)
            {
                if (message.DequeueCount >= PipelineHarness.MaxDequeueCount)
                {
                    await poison.SendMessageAsync(message.Body);
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
