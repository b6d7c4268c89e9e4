using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Tests.Processing;

/// <summary>The runner's decisions, without storage: statuses, event types, partial outcomes, losses, retry or fail.</summary>
public sealed class JobOutcomeRulesTests
{
    private static readonly Uri Blob = new("https://account.blob.core.windows.net/images/j/0.jpeg");

    [Fact]
    public void A_run_without_images_fails_one_without_failures_succeeds_and_a_mix_is_partial()
    {
        var job = NewJob();
        Assert.Equal(JobStatus.Failed, JobOutcomeRules.CompletedStatus(job));

        JobOutcomeRules.AddImage(job, Image(0));
        Assert.Equal(JobStatus.Succeeded, JobOutcomeRules.CompletedStatus(job));
        Assert.False(JobOutcomeRules.IsPartial(job));

        JobOutcomeRules.AddFailure(job, 1, "OutputImageSensitiveContentDetected", "moderated");
        Assert.Equal(JobStatus.PartiallySucceeded, JobOutcomeRules.CompletedStatus(job));
        Assert.True(JobOutcomeRules.IsPartial(job));
    }

    [Theory]
    [InlineData(JobStatus.Succeeded, JobEventPublisher.CompletedType)]
    [InlineData(JobStatus.PartiallySucceeded, JobEventPublisher.CompletedType)]
    [InlineData(JobStatus.Failed, JobEventPublisher.FailedType)]
    [InlineData(JobStatus.Cancelled, JobEventPublisher.CancelledType)]
    [InlineData(JobStatus.Expired, JobEventPublisher.ExpiredType)]
    public void Each_terminal_status_has_its_event_type_and_a_stable_event_id(JobStatus status, string type)
    {
        Assert.Equal(type, JobOutcomeRules.TerminalEventType(status));
        var job = NewJob();
        JobFactory.End(job, status, null, DateTimeOffset.UnixEpoch, claim: null);
        Assert.True(job.IsTerminal);
        Assert.Equal(type, job.TerminalEvent!.Type);
        Assert.Equal($"j.{JobStatusNames.NameOf(status).Replace("partially_succeeded", "completed", StringComparison.Ordinal).Replace("succeeded", "completed", StringComparison.Ordinal)}", job.TerminalEvent.Id);
    }

    [Fact]
    public void A_job_refused_at_intake_is_failed_with_an_unclaimed_Failed_event_for_the_runner_to_publish()
    {
        var now = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
        var deadline = now.AddMinutes(10);
        var job = JobFactory.Create("q-1", "queue", null, "hash", new Dictionary<string, string> { ["k"] = "v" }, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            deadline: deadline);
        Assert.Equal((JobStatus.Queued, deadline, "v"), (job.Status, job.Deadline, job.Metadata["k"]));

        JobFactory.Reject(job, new JobError("InvalidRequest", "bad"), now);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(now, job.CompletedAt);
        Assert.Equal("InvalidRequest", job.Error!.Code);
        Assert.Null(job.Lease);
        Assert.Equal(("q-1.failed", JobEventPublisher.FailedType), (job.TerminalEvent!.Id, job.TerminalEvent.Type));
        Assert.Null(job.TerminalEvent.ClaimedBy);
        Assert.Null(job.TerminalEvent.PublishedAt);
    }

    [Theory]
    [InlineData(JobStatus.Queued)]
    [InlineData(JobStatus.Running)]
    public void Non_terminal_statuses_have_no_event_and_cannot_end_a_job(JobStatus status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobOutcomeRules.TerminalEventType(status));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobFactory.End(NewJob(), status, null, DateTimeOffset.UnixEpoch, null));
    }

    [Fact]
    public void A_failed_job_reports_the_cause_else_its_first_failure_with_advice_else_no_images()
    {
        var job = NewJob();
        Assert.Equal(JobOutcomeRules.NoImagesGeneratedCode, JobOutcomeRules.ErrorFor(job, JobStatus.Failed, null)!.Code);

        JobOutcomeRules.AddFailure(job, 0, "OutputImageSensitiveContentDetected", "moderated");
        var error = JobOutcomeRules.ErrorFor(job, JobStatus.Failed, null)!;
        Assert.Equal("OutputImageSensitiveContentDetected", error.Code);
        Assert.Contains("moderation", error.Advice, StringComparison.Ordinal);

        Assert.Equal("Given", JobOutcomeRules.ErrorFor(job, JobStatus.Failed, new JobError("Given", "cause"))!.Code);
        Assert.Null(JobOutcomeRules.ErrorFor(job, JobStatus.PartiallySucceeded, new JobError("Given", "cause")));
    }

    [Theory]
    [InlineData(400, false, false, GenerationFailureAction.Fail)]
    [InlineData(401, false, false, GenerationFailureAction.Fail)]
    [InlineData(429, true, false, GenerationFailureAction.Retry)]
    [InlineData(500, true, false, GenerationFailureAction.FailAnswered)]
    [InlineData(500, true, true, GenerationFailureAction.FailAnswered)]
    [InlineData(502, true, false, GenerationFailureAction.FailAnswered)]
    [InlineData(503, true, false, GenerationFailureAction.FailAnswered)]
    [InlineData(504, true, false, GenerationFailureAction.FailAnswered)]
    [InlineData(504, true, true, GenerationFailureAction.FailAnswered)]
    [InlineData(408, true, false, GenerationFailureAction.FailAnswered)]
    [InlineData(0, false, false, GenerationFailureAction.Retry)]
    [InlineData(0, true, false, GenerationFailureAction.FailOutcomeUnknown)]
    [InlineData(0, true, true, GenerationFailureAction.Retry)]
    public void A_generation_call_is_retried_only_when_it_cannot_have_been_billed(int status, bool mayHaveReachedServer, bool regenerate, GenerationFailureAction expected)
    {
        var error = CreateSeedreamException(status, mayHaveReachedServer);
        Assert.Equal(expected, JobOutcomeRules.OnGenerationFailure(error, regenerate));
    }

    [Theory]
    [InlineData(500, "InternalServiceError")]
    [InlineData(503, "ServerOverloaded")]
    [InlineData(502, null)]
    public void Answered_errors_with_a_transient_code_are_never_retried_whatever_the_code(int status, string? code)
    {
        // The provider's own 500 and an overload code relayed with a 5xx are not 429 refusals: the call was processed.
        var error = CreateSeedreamException(status, mayHaveReachedServer: true, code);
        Assert.True(error.IsTransient);
        Assert.Equal(GenerationFailureAction.FailAnswered, JobOutcomeRules.OnGenerationFailure(error, regenerateWhenOutcomeUnknown: true));
    }

    [Fact]
    public void A_provider_reported_500_says_resubmitting_is_safe_and_a_gateway_error_warns_of_paying_twice()
    {
        var internalError = JobOutcomeRules.AnsweredFailureError(SeedreamModelFactory.SeedreamException(500, "InternalServiceError", "The service encountered an unexpected internal error.", requestId: "req-1"));
        Assert.Equal("InternalServiceError", internalError.Code);
        Assert.Equal("The service encountered an unexpected internal error.", internalError.Message);
        Assert.Equal(500, internalError.SeedreamStatus);
        Assert.Equal("req-1", internalError.SeedreamRequestId);
        Assert.Contains("safe to submit the request again", internalError.Advice, StringComparison.Ordinal);

        foreach (var status in new[] { 502, 503, 504, 408 })
        {
            var gateway = JobOutcomeRules.AnsweredFailureError(SeedreamModelFactory.SeedreamException(status, null, "Bad gateway"));
            Assert.Equal($"Http{status}", gateway.Code);
            Assert.Equal(status, gateway.SeedreamStatus);
            Assert.Contains("may still have been generated and billed", gateway.Advice, StringComparison.Ordinal);
            Assert.DoesNotContain("safe to submit", gateway.Advice, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_interrupted_answer_loses_the_next_index_once_and_only_within_the_series()
    {
        var job = NewJob(maxImages: 3);
        job.Answer = new GenerationAnswer { Complete = false };
        JobOutcomeRules.AddImage(job, Image(0));

        JobOutcomeRules.MarkUnreadRestLost(job);
        JobOutcomeRules.MarkUnreadRestLost(job);

        var lost = Assert.Single(job.Failures);
        Assert.Equal((1, JobOutcomeRules.ResultLostCode), (lost.Index, lost.Code));
        Assert.True(job.Answer.Complete);

        // A single-image request whose one image is stored has nothing left to lose.
        var single = NewJob();
        single.Answer = new GenerationAnswer { Complete = false };
        JobOutcomeRules.AddImage(single, Image(0));
        JobOutcomeRules.MarkUnreadRestLost(single);
        Assert.Empty(single.Failures);
    }

    [Fact]
    public void References_count_against_the_fifteen_images_of_a_series()
    {
        var job = NewJob(maxImages: 15);
        job.Request!.Image = new ImageReferences(["https://a/1.png", "https://a/2.png", "https://a/3.png"]);
        Assert.Equal(12, JobOutcomeRules.MaxImages(job));
        Assert.Equal(3, JobOutcomeRules.InputImageCount(job));
        Assert.Equal(1, JobOutcomeRules.MaxImages(NewJob()));
    }

    [Fact]
    public void A_broken_response_is_ResultLost_unless_Seedream_reported_an_error_instead_of_any_image()
    {
        var transport = NewJob(maxImages: 3);
        transport.Answer = new GenerationAnswer();
        JobOutcomeRules.AddImage(transport, Image(0));
        JobOutcomeRules.RecordBrokenResponse(transport, new IOException("reset"));
        Assert.Equal((1, JobOutcomeRules.ResultLostCode), (transport.Failures[0].Index, transport.Failures[0].Code));

        var refused = NewJob();
        refused.Answer = new GenerationAnswer();
        JobOutcomeRules.RecordBrokenResponse(refused, CreateSeedreamException(400, true, "InputTextSensitiveContentDetected"));
        Assert.Empty(refused.Failures);
        Assert.Equal("InputTextSensitiveContentDetected", refused.Error!.Code);
    }

    [Fact]
    public void Retries_exhausted_fail_every_unsettled_answered_image_and_name_the_last_transient_error()
    {
        var job = NewJob(maxImages: 3);
        job.Phase = GenerationPhase.Answered;
        job.Answer = new GenerationAnswer { Complete = true, Items = [new(0, Blob, null, null), new(1, Blob, null, null)] };
        JobOutcomeRules.AddImage(job, Image(0));
        job.LastTransientError = new JobError("InternalServiceError", "500");

        var error = JobOutcomeRules.RecordRetriesExhausted(job);

        Assert.Equal("InternalServiceError", error.Code);
        Assert.Equal((1, JobOutcomeRules.RetriesExhaustedCode), (job.Failures.Single().Index, job.Failures.Single().Code));

        var requested = NewJob();
        requested.Phase = GenerationPhase.Requested;
        Assert.Equal(JobOutcomeRules.OutcomeUnknownCode, JobOutcomeRules.RecordRetriesExhausted(requested).Code);
    }

    [Fact]
    public void A_deadline_expires_a_job_only_before_its_Seedream_call_was_sent()
    {
        var now = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
        var job = NewJob();
        Assert.False(JobOutcomeRules.HasExpired(job, now));
        job.Deadline = now;
        Assert.True(JobOutcomeRules.HasExpired(job, now));
        Assert.False(JobOutcomeRules.HasExpired(job, now.AddSeconds(-1)));
        job.Phase = GenerationPhase.Requested;
        Assert.False(JobOutcomeRules.HasExpired(job, now.AddHours(1)));
    }

    [Fact]
    public void A_permanent_failure_is_found_behind_wrapping_exceptions()
    {
        var inner = CreateSeedreamException(400, true, "InvalidImageContent");
        Assert.Same(inner, JobOutcomeRules.PermanentFailure(new IOException("wrapped", inner)));
        Assert.Null(JobOutcomeRules.PermanentFailure(new IOException("wrapped", CreateSeedreamException(503, true))));
    }

    private static GenerationJob NewJob(int? maxImages = null)
    {
        var request = new ImageGenerationRequest { Model = TestRequests.Model, Prompt = "p" };
        if (maxImages is int count)
        {
            request.SequentialImageGeneration = "auto";
            request.SequentialImageGenerationOptions = new SequentialImageGenerationOptions { MaxImages = count };
        }

        return JobFactory.Create("j", "http", request, "hash", null, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }

    private static StoredImage Image(int index) => new(index, $"j/{index}.jpeg", Blob, "image/jpeg", 1024, 1024, 100);

    // Status 0 is a failure without a response (network, timeout): transient, as the client reports it.
    private static SeedreamException CreateSeedreamException(int status, bool mayHaveReachedServer, string? code = null) =>
        new("failure", status, code, isTransient: status == 0 ? true : null, mayHaveReachedServer: mayHaveReachedServer);
}
