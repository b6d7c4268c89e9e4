using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Tests.Processing;

/// <summary><c>POST /api/generations/{id}/cancel</c> in each phase of a job, and racing the other ways a job moves on.</summary>
[Collection(PipelineCollection.Name)]
public sealed class CancelTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_job_cancelled_before_its_Seedream_call_ends_cancelled_and_nothing_is_paid()
    {
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a harbour", maxImages: 3));

        var cancel = await harness.CancelAsync(id);
        await harness.RunQueuesAsync();

        Assert.Equal(200, cancel.Status);
        Assert.Equal("cancelled", cancel.Json.GetProperty("status").GetString());
        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("images").GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.String, JsonValueKindOf(job, "cancelRequestedAt"));
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        var cancelled = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.CancelledType, cancelled.Type);
        Assert.Equal($"{id}.cancelled", cancelled.Id);
        Assert.Equal("cancelled", TestRequests.DataOf(cancelled).GetProperty("status").GetString());
        Assert.Equal(0, TestRequests.DataOf(cancelled).GetProperty("images").GetArrayLength());
    }

    [Fact]
    public async Task A_cancel_between_the_claim_and_the_Seedream_call_ends_the_job_unpaid()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("a lighthouse in fog"));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();
        HttpResult? cancel = null;
        // The delivery has claimed the job (phase requested, its lease live) and is about to send the billed request.
        harness.Hooks.SeedreamCallStarting = jobId =>
        {
            if (jobId == id)
            {
                cancel = harness.CancelAsync(id).GetAwaiter().GetResult();
            }
        };

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        harness.Hooks.SeedreamCallStarting = null;

        Assert.Equal(202, cancel!.Status);
        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(0m, job.GetProperty("cost").GetProperty("amount").GetDecimal());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.CancelledType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Cancelling_an_ended_job_is_a_409_problem_and_an_unknown_one_a_404()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a meadow"));
        var id = job.GetProperty("id").GetString()!;

        var ended = await harness.CancelAsync(id);
        var unknown = await harness.CancelAsync(Guid.CreateVersion7().ToString("N"));
        var malformed = await harness.CancelAsync("..%2F..%2Fjobs");

        Assert.Equal(409, ended.Status);
        Assert.Equal("application/problem+json", ended.ContentType);
        Assert.Contains("succeeded", ended.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", (await harness.GetJobAsync(id)).Json.GetProperty("status").GetString());
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
        Assert.Equal(404, unknown.Status);
        Assert.Equal("application/problem+json", unknown.ContentType);
        Assert.Equal(404, malformed.Status);
    }

    [Theory]
    [InlineData("url", false)]
    [InlineData("url", true)]
    [InlineData("b64_json", false)]
    public async Task A_cancel_while_images_are_stored_stops_before_the_next_image_and_keeps_what_was_stored(string responseFormat, bool stream)
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a canal", responseFormat, maxImages: 3, configure: r => r["stream"] = stream));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();
        HttpResult? cancel = null;
        harness.Hooks.ImageStored = (jobId, index) =>
        {
            if (jobId == id && index == 0)
            {
                cancel = harness.CancelAsync(id).GetAwaiter().GetResult();
            }
        };

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        harness.Hooks.ImageStored = null;

        Assert.Equal(202, cancel!.Status);
        Assert.Equal("running", cancel.Json.GetProperty("status").GetString());
        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(["0"], job.GetProperty("images").Strings("index"));
        Assert.Equal(0, job.GetProperty("failures").GetArrayLength());
        Assert.Equal([$"{id}/0.jpeg"], await BlobsAsync(harness, id));
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        var cancelled = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.CancelledType, cancelled.Type);
        Assert.Equal(["0"], TestRequests.DataOf(cancelled).GetProperty("images").Strings("index"));
    }

    [Fact]
    public async Task A_cancel_racing_a_redelivery_gives_one_terminal_state_and_one_event()
    {
        await using var harness = fixture.CreateHarness();
        for (var round = 0; round < 3; round++)
        {
            var id = await SubmitAsync(harness, TestRequests.Create($"3 images of a canyon, round {round}", maxImages: 3));
            var message = await ReceiveOneAsync(harness);
            var generationsBefore = harness.GenerationRequestCount();
            await CrashOnFirstStoredImageAsync(harness, message);

            var redelivery = Task.Run(() => harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None));
            var cancel = Task.Run(() => harness.CancelAsync(id));
            await Task.WhenAll(redelivery, cancel);
            var cancelStatus = (await cancel).Status;
            await harness.RunQueuesAsync();

            var job = (await harness.GetJobAsync(id)).Json;
            var status = job.GetProperty("status").GetString();
            // Either the cancel came first (200, or 202 while the redelivery ran) or the redelivery finished first (409).
            Assert.Equal(cancelStatus == 409 ? "succeeded" : "cancelled", status);
            var images = job.GetProperty("images").Strings("index");
            Assert.Contains("0", images);
            Assert.Equal(images.Select(i => $"{id}/{i}.jpeg"), await BlobsAsync(harness, id));
            Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
            var terminal = Assert.Single(harness.EventsFor(id));
            Assert.Equal(status == "cancelled" ? JobEventPublisher.CancelledType : JobEventPublisher.CompletedType, terminal.Type);
            Assert.Equal(images, TestRequests.DataOf(terminal).GetProperty("images").Strings("index"));
        }
    }

    [Theory]
    [InlineData("watchdog")]
    [InlineData("abandon")]
    public async Task A_cancel_racing_the_watchdog_or_the_poison_handler_gives_one_terminal_state_and_one_event(string path)
    {
        await using var harness = fixture.CreateHarness();
        var jobs = harness.Services.GetRequiredService<JobStore>();
        for (var round = 0; round < 3; round++)
        {
            var id = await SubmitAsync(harness, TestRequests.Create($"a volcano, round {round}"));
            var message = await ReceiveOneAsync(harness);
            // A worker claimed the job, sent the generation request and died; its lease has run out.
            var stored = (await jobs.GetAsync(id, CancellationToken.None))!;
            stored.Job.Phase = GenerationPhase.Requested;
            stored.Job.Status = JobStatus.Running;
            stored.Job.Lease = new JobLease("dead-worker", DateTimeOffset.UtcNow.AddSeconds(-1));
            Assert.NotNull(await jobs.TryReplaceAsync(stored, CancellationToken.None));
            var generationsBefore = harness.GenerationRequestCount();

            var other = Task.Run(() => path == "watchdog"
                ? harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None)
                : harness.Create<ProcessPoisonGenerationRequest>().RunAsync(message, CancellationToken.None));
            var cancel = Task.Run(() => harness.CancelAsync(id));
            await Task.WhenAll(other, cancel);
            var cancelStatus = (await cancel).Status;
            await harness.RunQueuesAsync();

            var job = (await harness.GetJobAsync(id)).Json;
            var status = job.GetProperty("status").GetString();
            Assert.Equal(cancelStatus == 409 ? "failed" : "cancelled", status);
            Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
            var terminal = Assert.Single(harness.EventsFor(id));
            Assert.Equal(status == "cancelled" ? JobEventPublisher.CancelledType : JobEventPublisher.FailedType, terminal.Type);
            if (status == "failed")
            {
                Assert.Equal(GenerationRunner.OutcomeUnknownCode, job.GetProperty("error").GetProperty("code").GetString());
            }
        }
    }

    [Fact]
    public void Functions_host_binds_cancel_to_POST_on_its_route_with_a_function_key()
    {
        // The Functions SDK generates functions.metadata from the attributes; it is what the host reads.
        var metadata = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata"))).RootElement;
        var function = Assert.Single(metadata.EnumerateArray(), f => f.GetProperty("name").GetString() == nameof(CancelGeneration));
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("direction").GetString() == "In");

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("generations/{id}/cancel", trigger.GetProperty("route").GetString());
        Assert.Equal(["post"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
    }

    private static System.Text.Json.JsonValueKind JsonValueKindOf(System.Text.Json.JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind : System.Text.Json.JsonValueKind.Undefined;

    private static async Task<string> SubmitAsync(PipelineHarness harness, string request)
    {
        var accepted = await harness.SubmitAsync(request);
        Assert.Equal(202, accepted.Status);
        return accepted.Json.GetProperty("id").GetString()!;
    }

    private static async Task<string> ReceiveOneAsync(PipelineHarness harness)
    {
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync()).Value;
        await harness.Storage.GenerationRequests.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return message.Body.ToString();
    }

    private static async Task CrashOnFirstStoredImageAsync(PipelineHarness harness, string message)
    {
        using var crash = new CancellationTokenSource();
        harness.Hooks.ImageStored = (_, _) => crash.Cancel();
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Create<ProcessGenerationRequest>().RunAsync(message, crash.Token));
        }
        finally
        {
            harness.Hooks.ImageStored = null;
        }
    }

    private static async Task<List<string>> BlobsAsync(PipelineHarness harness, string id)
    {
        var blobs = new List<string>();
        await foreach (var blob in harness.Storage.Images.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{id}/", CancellationToken.None))
        {
            blobs.Add(blob.Name);
        }

        return [.. blobs.Order()];
    }
}
