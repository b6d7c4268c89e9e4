using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using SeedreamEmulator;

namespace Seedream.Functions.Tests.Processing;

/// <summary>
/// The money rule at the queue (Azurite, the emulator, its request log): a generation call answered with an error is
/// sent once and fails its job; only a call that never left is delivered again.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class AnsweredErrorTests(PipelineFixture fixture)
{
    [Fact]
    public async Task An_answered_500_is_sent_once_and_fails_the_job_with_the_providers_error_and_one_Failed_event()
    {
        await using var harness = fixture.CreateHarness();
        var marker = Guid.NewGuid().ToString("N");

        var job = await harness.SubmitAndRunAsync(TestRequests.Create($"a bridge {marker} [emulator-fault:internal-error]"));
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal("failed", job.GetProperty("status").GetString());
        var error = job.GetProperty("error");
        Assert.Equal("InternalServiceError", error.GetProperty("code").GetString());
        Assert.Contains("unexpected internal error", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(500, error.GetProperty("seedreamStatus").GetInt32());
        Assert.Contains("safe to submit the request again", error.GetProperty("advice").GetString(), StringComparison.Ordinal);
        Assert.Equal(0m, job.GetProperty("cost").GetProperty("amount").GetDecimal());
        Assert.Equal([500], GenerationPosts(harness, marker).Select(post => post.ResponseStatus));
        // Ended by its first delivery: nothing went to the poison queue.
        Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequestsPoison));
        var failed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        Assert.Equal("InternalServiceError", TestRequests.DataOf(failed).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_connection_refused_before_sending_is_delivered_again_and_then_succeeds_with_one_POST()
    {
        await using var forwarder = new LoopbackForwarder(Testing.FreePorts.Take(1)[0], fixture.Emulator.BaseAddress);
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:BaseUrls:0"] = $"http://127.0.0.1:{forwarder.Port}/v1" });
        var marker = Guid.NewGuid().ToString("N");
        var accepted = await harness.SubmitAsync(TestRequests.Create($"a harbour {marker}"));
        Assert.Equal(202, accepted.Status);
        var id = accepted.Json.GetProperty("id").GetString()!;

        // First delivery: nothing listens on the base URL, so the request is never sent; the delivery fails for the queue to retry.
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync()).Value;
        var refused = await Assert.ThrowsAsync<SeedreamException>(() => harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), CancellationToken.None));
        Assert.Equal(SeedreamException.NetworkErrorCode, refused.ErrorCode);
        Assert.False(refused.MayHaveReachedServer);
        await harness.Storage.GenerationRequests.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        Assert.False(JobOutcomes.IsFinal((await harness.GetJobAsync(id)).Json.GetProperty("status").GetString()!));
        Assert.Empty(harness.EventsFor(id));
        Assert.Empty(GenerationPosts(harness, marker));

        // The redelivery finds Seedream reachable.
        forwarder.Start();
        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal([200], GenerationPosts(harness, marker).Select(post => post.ResponseStatus));
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }

    internal static List<ReceivedRequest> GenerationPosts(PipelineHarness harness, string marker) =>
        [.. harness.Emulator.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal)
            && r.Body is { } body && body.Contains(marker, StringComparison.Ordinal))];
}
