using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Pacing;

namespace Seedream.Functions.Tests.Pacing;

/// <summary>Rate-limited work waits outside the worker (a new delayed message), never counts toward poison, and quota answers fail jobs at once.</summary>
[Collection(PipelineCollection.Name)]
public sealed class RateLimitWaitTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Rate_limited_job_waits_queued_outside_the_worker_beyond_the_poison_threshold_and_then_succeeds_once()
    {
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();
        // More refusals in a row than the poison threshold (5 deliveries): none of them may count.
        var refusals = PipelineHarness.MaxDequeueCount + 1;
        fixture.Emulator.Faults.Enqueue("rate-limit", refusals);
        var accepted = await harness.SubmitAsync(TestRequests.Create("a lighthouse"));
        var id = accepted.Json.GetProperty("id").GetString()!;

        var sawWaiting = false;
        var job = await harness.RunUntilEndedAsync(id, TimeSpan.FromSeconds(60), waiting =>
        {
            Assert.Equal("queued", waiting.GetProperty("status").GetString());
            var wait = waiting.GetProperty("waitingForCapacity");
            Assert.Equal("ModelAccountIpmRateLimitExceeded", wait.GetProperty("reason").GetString());
            Assert.True(wait.GetProperty("retryAt").GetDateTimeOffset() >= wait.GetProperty("since").GetDateTimeOffset());
            sawWaiting = true;
        });

        Assert.True(sawWaiting);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.False(job.TryGetProperty("waitingForCapacity", out _));
        Assert.Equal(refusals + 1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(id));
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
        var record = (await harness.Services.GetRequiredService<JobStore>().GetAsync(id, CancellationToken.None))!.Job;
        Assert.Equal(refusals, record.CapacityWaits);
    }

    [Fact]
    public async Task A_job_refused_on_every_call_stops_waiting_after_max_wait_and_fails_with_advice()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pacing:MaxWait"] = "00:00:02" });
        var generationsBefore = harness.GenerationRequestCount();
        var accepted = await harness.SubmitAsync(TestRequests.Create("a lighthouse [emulator-fault:rate-limit]"));
        var id = accepted.Json.GetProperty("id").GetString()!;

        var job = await harness.RunUntilEndedAsync(id, TimeSpan.FromSeconds(60), _ => { });

        Assert.Equal("failed", job.GetProperty("status").GetString());
        var error = job.GetProperty("error");
        Assert.Equal("ModelAccountIpmRateLimitExceeded", error.GetProperty("code").GetString());
        Assert.Contains("Pacing:MaxWait", error.GetProperty("advice").GetString(), StringComparison.Ordinal);
        Assert.True(harness.GenerationRequestCount() - generationsBefore >= 2, "it waited and called again before giving up");
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
    }

    [Fact]
    public async Task Client_retries_in_process_are_off_unless_configured()
    {
        await using (var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:MaxRateLimitRetries"] = null }))
        {
            Assert.Equal(0, harness.Services.GetRequiredService<IOptions<SeedreamClientOptions>>().Value.MaxRateLimitRetries);
        }

        await using (var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:MaxRateLimitRetries"] = "2" }))
        {
            Assert.Equal(2, harness.Services.GetRequiredService<IOptions<SeedreamClientOptions>>().Value.MaxRateLimitRetries);
        }

        await using (var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:MaxRateLimitRetries"] = null, ["Pacing:Mode"] = "Off" }))
        {
            Assert.Equal(3, harness.Services.GetRequiredService<IOptions<SeedreamClientOptions>>().Value.MaxRateLimitRetries);
        }
    }

    [Theory]
    [InlineData("QuotaExceeded")]
    [InlineData("SetLimitExceeded")]
    public async Task Quota_answer_fails_the_job_with_advice_and_the_next_job_of_the_model_without_calling(string code)
    {
        await using var harness = fixture.CreateHarness();
        var generationsBefore = harness.GenerationRequestCount();
        fixture.Emulator.Faults.Enqueue($"error;code={code}");

        var first = await harness.SubmitAndRunAsync(TestRequests.Create("a harbour"));
        var second = await harness.SubmitAndRunAsync(TestRequests.Create("a harbour at night"));

        foreach (var job in new[] { first, second })
        {
            Assert.Equal("failed", job.GetProperty("status").GetString());
            var error = job.GetProperty("error");
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.Equal(RateLimitRefusal.QuotaAdvice, error.GetProperty("advice").GetString());
            Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!)).Type);
        }

        // Only the first job called Seedream; the second learnt of the pause from storage.
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
    }

    [Fact]
    public async Task A_job_held_back_by_the_pacer_waits_queued_and_a_cancel_ends_it_unpaid()
    {
        // A shared ledger of 15 images per window: after a 15-image job the next must wait.
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?>
        {
            ["Pacing:Mode"] = "SharedBudget",
            ["Pacing:ImagesPerMinute"] = "15",
            ["Pacing:Window"] = "00:10:00",
        });
        var generationsBefore = harness.GenerationRequestCount();
        var first = await harness.SubmitAndRunAsync(TestRequests.Create("a bridge", maxImages: 15));
        Assert.Equal("succeeded", first.GetProperty("status").GetString());

        var accepted = await harness.SubmitAsync(TestRequests.Create("a bridge in fog"));
        var id = accepted.Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        var waiting = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("queued", waiting.GetProperty("status").GetString());
        Assert.Equal(CapacityWaitReasons.Paced, waiting.GetProperty("waitingForCapacity").GetProperty("reason").GetString());

        var cancelled = await harness.CancelAsync(id);
        Assert.Equal(200, cancelled.Status);
        Assert.Equal("cancelled", (await harness.GetJobAsync(id)).Json.GetProperty("status").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
    }
}
