using System.Text.Json.Nodes;
using Seedream.Functions.Events;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Tests;

/// <summary>The queue as a public way in: producers put Seedream request bodies (optional id and metadata) there directly.</summary>
[Collection(PipelineCollection.Name)]
public sealed class QueueProducerTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Valid_request_with_its_own_id_and_metadata_becomes_that_job()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"order-{Guid.NewGuid():N}";
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom().ToString();
        await harness.EnqueueRawAsync(TestRequests.Create("a lighthouse at dusk", configure: request =>
        {
            request["id"] = id;
            request["traceparent"] = $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01";
            request["metadata"] = new JsonObject { ["customer"] = "c-17", ["color"] = "teal", ["city"] = "東京" };
        }));

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("c-17", job.GetProperty("metadata").GetProperty("customer").GetString());
        // The pipeline's own fields are not sent to Seedream.
        Assert.False(job.GetProperty("request").TryGetProperty("id", out _));
        Assert.False(job.GetProperty("request").TryGetProperty("metadata", out _));
        Assert.False(job.GetProperty("request").TryGetProperty("traceparent", out _));
        var blob = await harness.Storage.Images.GetBlobClient($"{id}/0.jpeg").GetPropertiesAsync();
        Assert.Equal("teal", blob.Value.Metadata["color"]);
        // Blob metadata is ASCII (HTTP headers): other values are stored percent-encoded; job and events keep them as given.
        Assert.Equal("%E6%9D%B1%E4%BA%AC", blob.Value.Metadata["city"]);
        Assert.Equal("東京", job.GetProperty("metadata").GetProperty("city").GetString());
        Assert.Equal("1024x1024", blob.Value.Metadata["seedream_size"]);
        var completed = Assert.Single(harness.EventsFor(id));
        Assert.Equal("teal", TestRequests.DataOf(completed).GetProperty("metadata").GetProperty("color").GetString());
        Assert.Contains(traceId, (string)completed.ExtensionAttributes["traceparent"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_request_ends_as_a_failed_job_naming_the_fields_without_retries()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"bad-{Guid.NewGuid():N}";
        var generationsBefore = harness.GenerationRequestCount();
        await harness.EnqueueRawAsync($$"""{"id":"{{id}}","model":"doubao-seedream-5-0-260128","size":"1K","watermark":"no"}""");

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        var fields = job.GetProperty("error").GetProperty("fields");
        Assert.True(fields.TryGetProperty("watermark", out _), fields.ToString());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
        var failed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        Assert.True(TestRequests.DataOf(failed).GetProperty("error").GetProperty("fields").TryGetProperty("watermark", out _));
    }

    [Fact]
    public async Task Request_with_missing_prompt_and_bad_size_names_both_fields()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"bad-{Guid.NewGuid():N}";
        await harness.EnqueueRawAsync($$"""{"id":"{{id}}","model":"doubao-seedream-5-0-260128","size":"1K"}""");

        await harness.RunQueuesAsync();

        var fields = (await harness.GetJobAsync(id)).Json.GetProperty("error").GetProperty("fields");
        Assert.True(fields.TryGetProperty("prompt", out _), fields.ToString());
        Assert.True(fields.TryGetProperty("size", out _), fields.ToString());
    }

    [Fact]
    public async Task Bare_id_naming_no_job_ends_as_a_failed_job()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"ghost-{Guid.NewGuid():N}";
        await harness.EnqueueRawAsync($$"""{"id":"{{id}}"}""");

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("error").GetProperty("fields").TryGetProperty("prompt", out _));
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Duplicate_id_from_a_different_request_is_not_run_twice()
    {
        await using var harness = fixture.CreateHarness();
        var id = $"dup-{Guid.NewGuid():N}";
        var generationsBefore = harness.GenerationRequestCount();
        await harness.EnqueueRawAsync(TestRequests.Create("first request", configure: request => request["id"] = id));
        await harness.RunQueuesAsync();
        await harness.EnqueueRawAsync(TestRequests.Create("second request", configure: request => request["id"] = id));
        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("first request", job.GetProperty("request").GetProperty("prompt").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(id));
    }

    [Fact]
    public async Task Redelivered_request_without_an_id_maps_to_the_same_job()
    {
        await using var harness = fixture.CreateHarness();
        var message = TestRequests.Create($"a harbour {Guid.NewGuid():N}");
        var generationsBefore = harness.GenerationRequestCount();

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        var id = $"q-{SubmissionIntake.Hash(System.Text.Encoding.UTF8.GetBytes(message))[..32]}";
        Assert.Equal("succeeded", (await harness.GetJobAsync(id)).Json.GetProperty("status").GetString());
        Assert.Single(harness.EventsFor(id));
    }

    [Fact]
    public async Task Message_that_is_not_JSON_ends_as_one_failed_job_and_one_event()
    {
        await using var harness = fixture.CreateHarness();
        var message = $"not json {Guid.NewGuid():N}";
        await harness.EnqueueRawAsync(message);

        await harness.RunQueuesAsync();
        // A redelivery of the same message changes nothing.
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        var id = $"q-{SubmissionIntake.Hash(System.Text.Encoding.UTF8.GetBytes(message))[..32]}";
        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("InvalidRequest", job.GetProperty("error").GetProperty("code").GetString());
        Assert.True(job.GetProperty("error").GetProperty("fields").TryGetProperty("$", out _));
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Poison_message_of_a_job_with_stored_images_keeps_them_and_ends_partially_succeeded()
    {
        await using var harness = fixture.CreateHarness();
        var accepted = await harness.SubmitAsync(TestRequests.Create("3 images of a bay", maxImages: 3));
        var id = accepted.Json.GetProperty("id").GetString()!;
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync()).Value;
        await harness.Storage.GenerationRequests.DeleteMessageAsync(message.MessageId, message.PopReceipt);

        using (var crash = new CancellationTokenSource())
        {
            harness.Hooks.ImageStored = (_, _) => crash.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), crash.Token));
            harness.Hooks.ImageStored = null;
        }

        await harness.Create<ProcessPoisonGenerationRequest>().RunAsync(message.Body.ToString(), CancellationToken.None);

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("partially_succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0"], job.GetProperty("images").Strings("index"));
        Assert.Equal([GenerationRunner.RetriesExhaustedCode, GenerationRunner.RetriesExhaustedCode], job.GetProperty("failures").Strings("code"));
        Assert.Single(harness.EventsFor(id));
    }
}
