using System.Diagnostics;
using System.Text.Json.Nodes;
using Seedream.Functions.Events;

namespace Seedream.Functions.Tests.Outbox;

/// <summary>
/// Exactly one terminal event per job, whatever happens between writing the terminal state and publishing it: a worker
/// that dies holding the publish claim, a publish that fails, hangs past the publisher's timeout or loses its
/// connection, two workers at once, a poison message for a finished job. Each test ends with exactly one event received.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class OutboxRecoveryTests(PipelineFixture fixture)
{
    /// <summary>Longer than any publish claim or lease the pipeline takes (claims: minutes; leases: 15 min by default).</summary>
    private static readonly TimeSpan PastEveryClaim = TimeSpan.FromHours(2);

    [Fact]
    public async Task A_claim_left_by_a_worker_that_died_before_publishing_is_taken_over_once_it_expires()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a lighthouse at dusk");
        await RunToTerminalWithoutPublishingAsync(host, id, message);
        // The worker wrote the terminal state with its publish claim, then died before publishing.
        await LeaveClaimOfDeadWorkerAsync(host, id, expiresIn: TimeSpan.FromMinutes(2));

        // A redelivery while the claim is live does not publish over the claimant's head: it looks again later.
        await host.DeliverAsync(message);
        Assert.Empty(host.EventsFor(id));
        Assert.Equal(1, await host.QueuedMessagesAsync());

        host.Clock.Advance(PastEveryClaim);
        await host.DeliverAsync(message);

        var received = Assert.Single(host.EventsFor(id));
        Assert.Equal(JobEventPublisher.CompletedType, received.Type);
        Assert.Equal($"{id}.completed", received.Id);
        Assert.NotNull((await host.ReadRecordAsync(id))["terminalEvent"]!["publishedAt"]);
        Assert.Equal(1, host.Generations);

        // Any later delivery (the deferred look, a duplicate) finds it published.
        await host.DeliverAsync(message);
        Assert.Single(host.EventsFor(id));
    }

    [Fact]
    public async Task A_publish_that_fails_and_then_succeeds_is_received_once()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a harbour in fog");
        host.Topic.Faults.FailNext(3, status: 503);

        var deliveries = await host.DeliverUntilHandledAsync(message);

        Assert.Equal(4, deliveries);
        Assert.Equal(4, host.Topic.Faults.Attempts);
        var received = Assert.Single(host.EventsFor(id));
        Assert.Equal(JobEventPublisher.CompletedType, received.Type);
        Assert.Equal("succeeded", (string?)(await host.ReadRecordAsync(id))["status"]);
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task A_publish_that_fails_on_every_delivery_is_still_received_once_through_the_poison_path()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a quarry");
        host.Topic.Faults.FailNext(PipelineHarness.MaxDequeueCount, status: 500);

        var deliveries = await host.DeliverUntilHandledAsync(message);

        Assert.Equal(PipelineHarness.MaxDequeueCount, deliveries);
        Assert.Equal(PipelineHarness.MaxDequeueCount + 1, host.Topic.Faults.Attempts);
        var received = Assert.Single(host.EventsFor(id));
        // The images were stored before the publish failed: the job succeeded, and the poison path does not undo that.
        Assert.Equal(JobEventPublisher.CompletedType, received.Type);
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task A_publish_that_hangs_beyond_the_publishers_timeout_is_retried_and_received_once()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a canyon at noon");
        var hang = OutboxHost.PublishTimeout * 4;
        host.Topic.Faults.DelayNext(1, hang);
        var started = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<Exception>(() => host.DeliverAsync(message));
        Assert.True(started.Elapsed < hang, $"the delivery waited {started.Elapsed} for a publish that hangs {hang}");
        Assert.Empty(host.EventsFor(id));
        await host.DeliverAsync(message);

        // Past the end of the hang: the abandoned publish must not show up late as a second event.
        var rest = hang + TimeSpan.FromSeconds(1) - started.Elapsed;
        await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
        Assert.Single(host.EventsFor(id));
        Assert.Equal(2, host.Topic.Faults.Attempts);
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task A_publish_whose_connection_is_dropped_is_retried_and_received_once()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a meadow under snow");
        host.Topic.Faults.DropNext(2);

        var deliveries = await host.DeliverUntilHandledAsync(message);

        Assert.Equal(3, deliveries);
        Assert.Single(host.EventsFor(id));
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task Two_workers_racing_to_publish_an_orphaned_terminal_event_publish_it_once()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a bridge in rain");
        await RunToTerminalWithoutPublishingAsync(host, id, message);
        await LeaveClaimOfDeadWorkerAsync(host, id, expiresIn: TimeSpan.FromMinutes(2));
        host.Clock.Advance(PastEveryClaim);
        // The winner's publish takes a while, so the loser looks while it is in flight.
        host.Topic.Faults.DelayNext(1, OutboxHost.PublishTimeout / 2);
        var attemptsBefore = host.Topic.Faults.Attempts;

        await Task.WhenAll(
            Task.Run(() => host.DeliverAsync(message)),
            Task.Run(() => host.DeliverAsync(message)),
            Task.Run(() => host.DeliverPoisonAsync(message)));

        Assert.Single(host.EventsFor(id));
        Assert.Equal(1, host.Topic.Faults.Attempts - attemptsBefore);
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task A_poison_message_for_a_finished_and_published_job_publishes_nothing_more()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a glacier");
        await host.DeliverAsync(message);
        Assert.Single(host.EventsFor(id));
        var before = await host.ReadRecordAsync(id);

        await host.DeliverPoisonAsync(message);
        host.Clock.Advance(PastEveryClaim);
        await host.DeliverPoisonAsync(message);

        Assert.Single(host.EventsFor(id));
        var after = await host.ReadRecordAsync(id);
        Assert.Equal("succeeded", (string?)after["status"]);
        Assert.Equal(before["terminalEvent"]!.ToJsonString(), after["terminalEvent"]!.ToJsonString());
        Assert.Equal(1, host.Generations);
    }

    [Fact]
    public async Task A_poison_message_for_a_finished_job_whose_publisher_died_publishes_its_event_once()
    {
        await using var host = await OutboxHost.StartAsync(fixture);
        var (id, message) = OutboxHost.NewJob("a volcano at night");
        await RunToTerminalWithoutPublishingAsync(host, id, message);
        await LeaveClaimOfDeadWorkerAsync(host, id, expiresIn: TimeSpan.FromMinutes(2));
        host.Clock.Advance(PastEveryClaim);

        await host.DeliverPoisonAsync(message);

        var received = Assert.Single(host.EventsFor(id));
        Assert.Equal(JobEventPublisher.CompletedType, received.Type);
        Assert.Equal("succeeded", (string?)(await host.ReadRecordAsync(id))["status"]);
        Assert.Equal(1, host.Generations);
    }

    /// <summary>Runs the job to its terminal state with the one publish refused: the record is terminal, its event unpublished.</summary>
    private static async Task RunToTerminalWithoutPublishingAsync(OutboxHost host, string id, string message)
    {
        host.Topic.Faults.FailNext(1, status: 400);
        await Assert.ThrowsAnyAsync<Exception>(() => host.DeliverAsync(message));

        var record = await host.ReadRecordAsync(id);
        Assert.Equal("succeeded", (string?)record["status"]);
        Assert.Null(record["terminalEvent"]!["publishedAt"]);
        Assert.Empty(host.EventsFor(id));
        Assert.Equal(1, host.Topic.Faults.Attempts);
        Assert.Equal(1, host.Generations);
    }

    /// <summary>What a worker leaves when it dies between writing the terminal state (with its publish claim) and publishing.</summary>
    private static Task LeaveClaimOfDeadWorkerAsync(OutboxHost host, string id, TimeSpan expiresIn) =>
        host.ChangeRecordAsync(id, record =>
        {
            var terminal = record["terminalEvent"]!.AsObject();
            terminal["claimedBy"] = "dead-worker";
            terminal["claimExpiresAt"] = JsonValue.Create(host.Clock.GetUtcNow() + expiresIn);
        });
}
