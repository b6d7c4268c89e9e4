using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Tests;

/// <summary>Partial failures, crashes, concurrent deliveries, retries, the poison queue and the watchdog.</summary>
[Collection(PipelineCollection.Name)]
public sealed class GenerationScenarioTests(PipelineFixture fixture)
{
    [Theory]
    [InlineData("url")]
    [InlineData("b64_json")]
    public async Task Moderated_image_in_a_group_ends_partially_succeeded_with_that_failure(string responseFormat)
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("3 images of a lighthouse [emulator-fault:moderation;indexes=1]", responseFormat, maxImages: 3));
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal("partially_succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0", "2"], job.GetProperty("images").Strings("index"));
        var failure = Assert.Single(job.GetProperty("failures").EnumerateArray());
        Assert.Equal(1, failure.GetProperty("index").GetInt32());
        Assert.Equal("OutputImageSensitiveContentDetected", failure.GetProperty("code").GetString());
        Assert.False(await harness.Storage.Images.GetBlobClient($"{id}/1.jpeg").ExistsAsync());
        Assert.True(await harness.Storage.Images.GetBlobClient($"{id}/2.jpeg").ExistsAsync());
        // Failed images cost nothing: two billed 4.0 images at 0.20 CNY.
        Assert.Equal(0.40m, job.GetProperty("cost").GetProperty("amount").GetDecimal());

        var completed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.CompletedType, completed.Type);
        var data = TestRequests.DataOf(completed);
        Assert.Equal("partially_succeeded", data.GetProperty("status").GetString());
        Assert.Equal(["1"], data.GetProperty("failures").Strings("index"));
        Assert.Equal(2, data.GetProperty("images").GetArrayLength());
    }

    [Fact]
    public async Task Redelivery_after_a_crash_resumes_the_downloads_without_a_second_generation()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a harbour", maxImages: 3));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();

        await CrashOnFirstStoredImageAsync(harness, message);

        var afterCrash = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("running", afterCrash.GetProperty("status").GetString());
        Assert.Equal(1, afterCrash.GetProperty("progress").GetProperty("imagesStored").GetInt32());
        Assert.Empty(harness.EventsFor(id));

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0", "1", "2"], job.GetProperty("images").Strings("index"));
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Streamed_url_results_are_each_stored_before_the_rest_of_the_stream_is_read()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a bridge", maxImages: 3, configure: r => r["stream"] = true));
        var message = await ReceiveOneAsync(harness);
        var jobs = harness.Services.GetRequiredService<JobStore>();
        GenerationAnswer? answerWhenFirstStored = null;
        harness.Hooks.ImageStored = (jobId, index) =>
        {
            if (index == 0)
            {
                answerWhenFirstStored = jobs.GetAsync(jobId, CancellationToken.None).GetAwaiter().GetResult()!.Job.Answer;
            }
        };

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        harness.Hooks.ImageStored = null;

        // The first image was in storage while the stream was still open, with its URL persisted before the download.
        Assert.NotNull(answerWhenFirstStored);
        Assert.False(answerWhenFirstStored.Complete);
        Assert.Equal([0], answerWhenFirstStored.Items.Select(item => item.Index));
        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0", "1", "2"], job.GetProperty("images").Strings("index"));
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task A_crash_during_a_streamed_url_group_keeps_what_was_stored_and_never_regenerates()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a canal", maxImages: 3, configure: r => r["stream"] = true));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();

        await CrashOnFirstStoredImageAsync(harness, message);

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        // Whether the crash came before or after the next event was read varies; a URL that made it into the record
        // is still downloaded on the redelivery, what the broken stream never delivered is ResultLost.
        var job = (await harness.GetJobAsync(id)).Json;
        var stored = job.GetProperty("images").Strings("index");
        Assert.Contains("0", stored);
        if (stored.Length < 3)
        {
            Assert.Equal("partially_succeeded", job.GetProperty("status").GetString());
            Assert.Contains(GenerationRunner.ResultLostCode, job.GetProperty("failures").Strings("code"));
        }

        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Inline_images_lost_in_a_crash_become_ResultLost_failures_and_are_not_regenerated()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a forest", "b64_json", maxImages: 3));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();

        await CrashOnFirstStoredImageAsync(harness, message);

        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("partially_succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0"], job.GetProperty("images").Strings("index"));
        var lost = Assert.Single(job.GetProperty("failures").EnumerateArray());
        Assert.Equal(GenerationRunner.ResultLostCode, lost.GetProperty("code").GetString());
        Assert.True(job.GetProperty("cost").GetProperty("estimated").GetBoolean());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(id));
    }

    [Fact]
    public async Task Two_concurrent_deliveries_of_one_message_store_one_set_of_images_and_publish_one_event()
    {
        await using var harness = fixture.CreateHarness();
        var id = await SubmitAsync(harness, TestRequests.Create("3 images of a canyon", maxImages: 3));
        var message = await ReceiveOneAsync(harness);
        var generationsBefore = harness.GenerationRequestCount();

        await Task.WhenAll(
            Task.Run(() => harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None)),
            Task.Run(() => harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None)));

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        var blobs = new List<string>();
        await foreach (var blob in harness.Storage.Images.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{id}/", CancellationToken.None))
        {
            blobs.Add(blob.Name);
        }

        Assert.Equal([$"{id}/0.jpeg", $"{id}/1.jpeg", $"{id}/2.jpeg"], blobs.Order());
        Assert.Single(harness.EventsFor(id));
    }

    [Fact]
    public async Task A_message_that_always_fails_ends_in_the_poison_queue_as_one_failed_job_and_one_Failed_event()
    {
        // Nothing listens on the base URL: no request is ever sent, so every delivery may try again (an answered error
        // would end the job at once, Processing.AnsweredErrorTests); then the poison function ends the job.
        var deadPort = Seedream.Testing.FreePorts.Take(1)[0];
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:BaseUrls:0"] = $"http://127.0.0.1:{deadPort}/v1" });
        var generationsBefore = harness.GenerationRequestCount();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a bridge nobody can reach"));
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(SeedreamException.NetworkErrorCode, job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
        var failed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        Assert.Equal($"{id}.failed", failed.Id);
        Assert.Equal(SeedreamException.NetworkErrorCode, TestRequests.DataOf(failed).GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(401, "AuthenticationError")]
    [InlineData(403, "AccountOverdueError")]
    [InlineData(404, "InvalidEndpointOrModel.NotFound")]
    public async Task Permanent_Seedream_errors_fail_the_job_at_once_with_advice(int status, string code)
    {
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create($"a desert [emulator-fault:error;status={status};code={code}]"));
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal("failed", job.GetProperty("status").GetString());
        var error = job.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(status, error.GetProperty("seedreamStatus").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("advice").GetString()));
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(0m, job.GetProperty("cost").GetProperty("amount").GetDecimal());
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task Rate_limited_generation_is_retried_by_the_queue_and_then_succeeds_with_pacing_off()
    {
        // Pacing:Mode=Off is the behaviour before issue 23 (tests/Functions.Tests/Pacing covers the waits outside the worker).
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pacing:Mode"] = "Off" });
        var generationsBefore = harness.GenerationRequestCount();
        fixture.Emulator.Faults.Enqueue("rate-limit;retry-after=0");
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a meadow"));

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Lost_answer_after_the_request_was_sent_fails_the_job_instead_of_paying_again()
    {
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a glacier [emulator-fault:reset]"));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(GenerationRunner.OutcomeUnknownCode, job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!)).Type);
    }

    [Fact]
    public async Task Lost_answer_is_regenerated_only_when_configuration_allows_it()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pipeline:RegenerateWhenOutcomeUnknown"] = "true" });
        var generationsBefore = harness.GenerationRequestCount();
        fixture.Emulator.Faults.Enqueue("reset");
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a fjord"));

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Job_left_Requested_by_a_dead_worker_is_failed_by_the_watchdog_once_the_lease_expires()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pipeline:LeaseDuration"] = "00:00:02", ["Seedream:RequestTimeout"] = "00:00:01" });
        var id = await SubmitAsync(harness, TestRequests.Create("a volcano"));
        var message = await ReceiveOneAsync(harness);
        var jobs = harness.Services.GetRequiredService<JobStore>();

        // A worker claimed the job and sent the generation request, then died.
        var stored = (await jobs.GetAsync(id, CancellationToken.None))!;
        stored.Job.Phase = GenerationPhase.Requested;
        stored.Job.Status = JobStatus.Running;
        stored.Job.Lease = new JobLease("dead-worker", DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.NotNull(await jobs.TryReplaceAsync(stored, CancellationToken.None));
        var generationsBefore = harness.GenerationRequestCount();

        // The redelivery sees a live lease: it schedules a check instead of generating.
        await harness.Create<ProcessGenerationRequest>().RunAsync(message, CancellationToken.None);
        Assert.Equal("running", (await harness.GetJobAsync(id)).Json.GetProperty("status").GetString());
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequests));

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(GenerationRunner.OutcomeUnknownCode, job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    private static async Task<string> SubmitAsync(PipelineHarness harness, string request)
    {
        var accepted = await harness.SubmitAsync(request);
        Assert.Equal(202, accepted.Status);
        return accepted.Json.GetProperty("id").GetString()!;
    }

    /// <summary>Runs the job and stops the worker as if it crashed the moment its first image is stored.</summary>
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

    private static async Task<string> ReceiveOneAsync(PipelineHarness harness)
    {
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync()).Value;
        await harness.Storage.GenerationRequests.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return message.Body.ToString();
    }
}
