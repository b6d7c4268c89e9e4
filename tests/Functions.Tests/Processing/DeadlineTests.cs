using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Configuration;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Tests.Processing;

/// <summary>A job whose deadline passed before its Seedream call was sent ends expired, unpaid, with its Expired event.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DeadlineTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_submitted_job_whose_deadline_passed_in_the_queue_expires_without_calling_Seedream()
    {
        await using var harness = fixture.CreateHarness();
        var jobs = harness.Services.GetRequiredService<JobStore>();
        var accepted = await harness.SubmitAsync(TestRequests.Create("a lighthouse at dusk"));
        var id = accepted.Json.GetProperty("id").GetString()!;
        var stored = (await jobs.GetAsync(id, CancellationToken.None))!;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(-1);
        stored.Job.Deadline = deadline;
        Assert.NotNull(await jobs.TryReplaceAsync(stored, CancellationToken.None));
        var generationsBefore = harness.GenerationRequestCount();

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.Equal("DeadlineExceeded", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(deadline, job.GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        var expired = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.ExpiredType, expired.Type);
        Assert.Equal($"{id}.expired", expired.Id);
        Assert.Equal("expired", TestRequests.DataOf(expired).GetProperty("status").GetString());
        Assert.Equal(409, (await harness.CancelAsync(id)).Status);
    }

    [Fact]
    public async Task A_deadline_given_to_the_job_factory_is_kept_and_a_future_one_lets_the_job_run()
    {
        await using var harness = fixture.CreateHarness();
        var jobs = harness.Services.GetRequiredService<JobStore>();
        var past = JobFactory.Create(Guid.CreateVersion7().ToString("N"), "queue", ImageGenerationRequest.FromJson(TestRequests.Create("a past harbour")),
            "hash-past", null, PipelineTelemetry.CurrentOrNewTraceParent(null), deadline: DateTimeOffset.UtcNow.AddMinutes(-5));
        var future = JobFactory.Create(Guid.CreateVersion7().ToString("N"), "queue", ImageGenerationRequest.FromJson(TestRequests.Create("a future harbour")),
            "hash-future", null, PipelineTelemetry.CurrentOrNewTraceParent(null), deadline: DateTimeOffset.UtcNow.AddHours(1));
        Assert.NotNull(await jobs.TryCreateAsync(past, CancellationToken.None));
        Assert.NotNull(await jobs.TryCreateAsync(future, CancellationToken.None));
        var generationsBefore = harness.GenerationRequestCount();

        await harness.EnqueueRawAsync(new JobReferenceMessage(past.Id, past.TraceParent).ToJson());
        await harness.EnqueueRawAsync(new JobReferenceMessage(future.Id, future.TraceParent).ToJson());
        await harness.RunQueuesAsync();

        Assert.Equal("expired", (await harness.GetJobAsync(past.Id)).Json.GetProperty("status").GetString());
        Assert.Equal(JobEventPublisher.ExpiredType, Assert.Single(harness.EventsFor(past.Id)).Type);
        Assert.Equal("succeeded", (await harness.GetJobAsync(future.Id)).Json.GetProperty("status").GetString());
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(future.Id)).Type);
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
    }

    [Fact]
    public async Task A_deadline_passing_after_the_call_was_sent_does_not_stop_the_job()
    {
        await using var harness = fixture.CreateHarness();
        var jobs = harness.Services.GetRequiredService<JobStore>();
        var accepted = await harness.SubmitAsync(TestRequests.Create("2 images of a bay", maxImages: 2));
        var id = accepted.Json.GetProperty("id").GetString()!;
        var stored = (await jobs.GetAsync(id, CancellationToken.None))!;
        stored.Job.Deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        Assert.NotNull(await jobs.TryReplaceAsync(stored, CancellationToken.None));
        // The deadline "passes" while the first image is stored, i.e. after Seedream was paid: the rest is still stored.
        harness.Hooks.ImageStored = (jobId, _) =>
        {
            if (jobId == id)
            {
                var current = jobs.GetAsync(id, CancellationToken.None).GetAwaiter().GetResult()!;
                current.Job.Deadline = DateTimeOffset.UtcNow.AddSeconds(-1);
                // A conflicting write by someone else: the runner's next CAS reloads and must still not expire the job.
                jobs.TryReplaceAsync(current, CancellationToken.None).GetAwaiter().GetResult();
                harness.Hooks.ImageStored = null;
            }
        };

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("images").GetArrayLength());
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task A_producer_request_whose_deadline_passed_while_it_waited_on_the_queue_expires_once_without_calling_Seedream()
    {
        await using var harness = fixture.CreateHarness();
        var id = "wait-" + Guid.NewGuid().ToString("N")[..16];
        var deadline = DateTimeOffset.UtcNow.AddSeconds(1.5);
        await harness.EnqueueRawAsync(TestRequests.Create("a lighthouse that waited", configure: request =>
        {
            request["id"] = id;
            request["deadline"] = deadline.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture);
        }));
        var generationsBefore = harness.GenerationRequestCount();
        while (DateTimeOffset.UtcNow <= deadline)
        {
            await Task.Delay(100);
        }

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.Equal("DeadlineExceeded", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, harness.GenerationRequestCount() - generationsBefore);
        Assert.Equal(JobEventPublisher.ExpiredType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task A_producer_request_whose_deadline_had_passed_before_it_was_enqueued_fails_naming_deadline()
    {
        await using var harness = fixture.CreateHarness();
        var id = "late-" + Guid.NewGuid().ToString("N")[..16];
        await harness.EnqueueRawAsync(TestRequests.Create("a lighthouse sent late", configure: request =>
        {
            request["id"] = id;
            request["deadline"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }));

        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("deadline", job.GetProperty("error").GetProperty("fields").EnumerateObject().Select(field => field.Name));
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    [Fact]
    public async Task A_same_key_retry_of_the_same_bytes_after_the_deadline_answers_with_the_first_submissions_job()
    {
        await using var harness = fixture.CreateHarness();
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = $"key-{Guid.NewGuid():N}" };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(1.5);
        var body = TestRequests.Create("a retry after a timeout", configure: request =>
            request["deadline"] = deadline.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture));
        var first = await harness.SubmitAsync(body, key);
        Assert.Equal(202, first.Status);
        while (DateTimeOffset.UtcNow <= deadline)
        {
            await Task.Delay(100);
        }

        var retry = await harness.SubmitAsync(body, key);
        var unkeyed = await harness.SubmitAsync(body);

        Assert.Equal(202, retry.Status);
        Assert.Equal(first.Json.GetProperty("id").GetString(), retry.Json.GetProperty("id").GetString());
        Assert.Equal(first.Json.GetProperty("status").GetString(), retry.Json.GetProperty("status").GetString());
        Assert.Equal(first.Json.GetProperty("statusUrl").GetString(), retry.Json.GetProperty("statusUrl").GetString());
        Assert.Equal(400, unkeyed.Status);
        Assert.True(unkeyed.Json.GetProperty("errors").TryGetProperty("deadline", out _));

        // Once run, the job has expired; a retry then reports that status under the same id.
        await harness.RunQueuesAsync();
        var late = await harness.SubmitAsync(body, key);
        Assert.Equal(202, late.Status);
        Assert.Equal("expired", late.Json.GetProperty("status").GetString());
    }
}
