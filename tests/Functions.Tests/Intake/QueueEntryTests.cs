using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Events;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// The <c>generation-requests</c> queue and its poison queue with real Azurite messages: every message consumed ends as
/// a job, a failed job with its Failed event, or a dead-letter blob with a Failed event naming the queue and message.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class QueueEntryTests(PipelineFixture fixture)
{
    public static TheoryData<string> Representative()
    {
        var data = new TheoryData<string>();
        // Queue messages hold at most 64 KB (48 KB before base64).
        foreach (var group in BadInputCases.All.Where(c => c.CancelAfter is null && c.Body.Length <= 48 * 1024).GroupBy(c => c.Class))
        {
            foreach (var badCase in group.Take(3))
            {
                data.Add(badCase.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Representative))]
    public async Task Bad_message_ends_as_a_failed_job_with_a_failed_event_naming_every_field(string name)
    {
        var badCase = BadInputCases.ByName[name];
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();

        var message = await EnqueueAndReceiveAsync(harness, badCase.Body);
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        await harness.Storage.GenerationRequests.DeleteMessageAsync(message.MessageId, message.PopReceipt);

        var jobId = $"q-{SubmissionIntake.Hash(badCase.Body)[..32]}";
        var job = (await harness.Services.GetRequiredService<JobStore>().GetAsync(jobId, CancellationToken.None))?.Job;
        Assert.True(job is not null, $"{name}: no job {jobId}");
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Equal(SubmissionService.InvalidRequestCode, job.Error!.Code);
        IntakeKit.NamesEvery(job.Error.Fields!, badCase.Fields, name);
        var failed = await WaitForEventAsync($"generations/{jobId}");
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        Assert.Equal(generationsBefore, harness.GenerationRequestCount());
    }

    [Fact]
    public async Task Reused_id_with_a_different_body_is_dead_lettered_with_a_failed_event_and_runs_nothing()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"order-{Guid.NewGuid():N}";
        await harness.EnqueueRawAsync(BadInputCases.Json(r => r["id"] = id));
        await harness.RunQueuesAsync();
        var generationsBefore = harness.GenerationRequestCount();
        var second = Encoding.UTF8.GetBytes(BadInputCases.Json(r => { r["id"] = id; r["prompt"] = "a different request"; }));

        var message = await EnqueueAndReceiveAsync(harness, second);
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        var deadLetters = harness.Services.GetRequiredService<DeadLetters>();
        var blob = deadLetters.Container.GetBlobClient(DeadLetters.BlobName(harness.Storage.GenerationRequests.Name, message.MessageId));
        var stored = await blob.DownloadContentAsync();
        Assert.Equal(second, stored.Value.Content.ToArray());
        Assert.Equal(GenerationRequestConsumer.IdConflictCode, stored.Value.Details.Metadata["code"]);
        Assert.Equal("1", stored.Value.Details.Metadata["dequeue_count"]);
        Assert.Equal(harness.Storage.GenerationRequests.Name, stored.Value.Details.Metadata["queue"]);
        var failed = await WaitForEventAsync($"queues/{harness.Storage.GenerationRequests.Name}/messages/{message.MessageId}");
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        Assert.Equal(generationsBefore, harness.GenerationRequestCount());
        Assert.Equal("a lighthouse at dusk", (await harness.GetJobAsync(id)).Json.GetProperty("request").GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Non_utf8_bytes_reach_our_code_and_end_as_a_failed_job()
    {
        await using var harness = fixture.CreateHarness();
        byte[] body = [0x7B, 0x22, 0xC0, 0xAF, 0xFF, 0xFE, 0x22, 0x7D];

        var message = await EnqueueAndReceiveAsync(harness, body);
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        var jobId = $"q-{SubmissionIntake.Hash(body)[..32]}";
        var job = (await harness.GetJobAsync(jobId)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("error").GetProperty("fields").TryGetProperty("$", out _));
        await WaitForEventAsync($"generations/{jobId}");
    }

    [Fact]
    public async Task Poison_handler_ends_garbage_as_a_failed_job_and_never_throws()
    {
        await using var harness = fixture.CreateHarness();
        foreach (var body in new[] { "not json at all"u8.ToArray(), [0xFF, 0xFF, 0x00], Encoding.UTF8.GetBytes("{\"id\":\"\\ud800\"}"), [] })
        {
            await harness.Create<ProcessPoisonGenerationRequest>().RunAsync(QueueFunctionExtensions.Message(BinaryData.FromBytes(body), dequeueCount: 1), CancellationToken.None);
            var jobId = $"q-{SubmissionIntake.Hash(body)[..32]}";
            Assert.Equal("failed", (await harness.GetJobAsync(jobId)).Json.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Poison_queue_drain_dead_letters_text_that_is_not_base64_and_ends_the_rest_as_jobs()
    {
        await using var harness = fixture.CreateHarness();
        var raw = harness.Services.GetRequiredService<RawQueueServiceClient>().Client;
        var poison = raw.GetQueueClient(harness.Storage.GenerationRequestsPoison.Name);
        await poison.CreateIfNotExistsAsync();
        var request = Encoding.UTF8.GetBytes(BadInputCases.Json());
        var undecodable = await poison.SendMessageAsync("this is {not} base64 ~~");
        await poison.SendMessageAsync(Convert.ToBase64String(request));

        var drained = await harness.Services.GetRequiredService<PoisonQueueDrain>().DrainAsync(CancellationToken.None);

        Assert.Equal(2, drained);
        Assert.Empty((await poison.PeekMessagesAsync(32)).Value);
        var deadLetters = harness.Services.GetRequiredService<DeadLetters>();
        var names = new List<string>();
        await foreach (var item in deadLetters.Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, poison.Name + "/", CancellationToken.None))
        {
            names.Add(item.Name);
            Assert.Equal(PoisonQueueDrain.UndecodableCode, item.Metadata["code"]);
        }

        Assert.Equal([DeadLetters.BlobName(poison.Name, undecodable.Value.MessageId)], names);
        await WaitForEventAsync($"queues/{poison.Name}/messages/{undecodable.Value.MessageId}");
        var jobId = $"q-{SubmissionIntake.Hash(request)[..32]}";
        Assert.Equal("failed", (await harness.GetJobAsync(jobId)).Json.GetProperty("status").GetString());
    }

    [Fact]
    public void No_function_triggers_on_a_poison_queue_the_drain_owns_them()
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var queues = document.RootElement.EnumerateArray()
            .SelectMany(function => function.GetProperty("bindings").EnumerateArray())
            .Where(binding => binding.GetProperty("type").GetString() == "queueTrigger")
            .Select(binding => binding.GetProperty("queueName").GetString()!)
            .ToList();
        Assert.Equal(["%BatchControlQueue%", "%BatchGenerationRequestsQueue%", "%GenerationRequestsQueue%", "%InboxEventsQueue%", "%WebhookDeliveriesQueue%"], queues.Order());
        Assert.DoesNotContain(queues, queue => queue.EndsWith("-poison", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Queues_and_containers_the_app_reads_are_created_at_startup_idempotently()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["InboxContainer"] = $"inbox-{Guid.NewGuid():N}"[..20], ["InboxEventsQueue"] = $"events-{Guid.NewGuid():N}"[..20], ["DeadLetterContainer"] = $"dead-{Guid.NewGuid():N}"[..20] });
        var initializer = harness.Services.GetRequiredService<IntakeStorageInitializer>();

        await initializer.StartAsync(CancellationToken.None);
        await initializer.StartAsync(CancellationToken.None);

        var queues = harness.Services.GetRequiredService<QueueServiceClient>();
        var blobs = harness.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>();
        Assert.Equal(10, initializer.QueueNames.Count);
        foreach (var name in initializer.QueueNames)
        {
            Assert.True((await queues.GetQueueClient(name).ExistsAsync()).Value, name);
        }

        foreach (var name in initializer.ContainerNames)
        {
            Assert.True((await blobs.GetBlobContainerClient(name).ExistsAsync()).Value, name);
        }

        Assert.Contains(harness.Storage.GenerationRequestsPoison.Name, initializer.QueueNames);
        // The queues merged later (webhooks, batches): under the real host a producer's first message to one failed (404).
        Assert.Contains("webhook-deliveries-poison", initializer.QueueNames);
        Assert.Contains("batch-control", initializer.QueueNames);
        Assert.Contains("batch-generation-requests-poison", initializer.QueueNames);
        Assert.Contains("batches", initializer.ContainerNames);
    }

    private async Task<Azure.Messaging.CloudEvent> WaitForEventAsync(string subject)
    {
        var events = await fixture.EventGrid.WaitForEventsAsync(e => e.Subject == subject, 1, TimeSpan.FromSeconds(10));
        return Assert.Single(events);
    }

    private static async Task<QueueMessage> EnqueueAndReceiveAsync(PipelineHarness harness, byte[] body)
    {
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        await harness.Storage.GenerationRequests.SendMessageAsync(BinaryData.FromBytes(body));
        var received = (await harness.Storage.GenerationRequests.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value;
        var message = Assert.Single(received);
        Assert.Equal(body, message.Body.ToArray());
        return message;
    }
}
