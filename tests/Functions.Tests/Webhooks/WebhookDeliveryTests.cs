using System.Text;
using System.Text.Json;
using Azure.Messaging;
using EventGridReceiver;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Webhooks;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Seedream.Functions.Tests.Webhooks;

/// <summary>
/// Callbacks end to end: real Azurite, the emulator, and a real receiver on loopback that verifies every delivery with
/// the NuGet StandardWebhooks package (the pipeline signs with its own code).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class WebhookDeliveryTests(PipelineFixture fixture)
{
    private readonly string _secret = WebhookKit.NewSecret();
    private readonly string _rotated = WebhookKit.NewSecret();

    [Fact]
    public async Task Each_notification_is_the_event_grid_cloud_event_signed_by_both_rotation_secrets_and_verified_independently()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret, _rotated], more: new() { ["EventGrid:PublishImageStoredEvents"] = "true" });
        var accepted = await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("both"), WebhookEvents.JobEnded, WebhookEvents.ImageStored));
        Assert.Equal(StatusCodes.Status202Accepted, accepted.Status);
        var id = accepted.Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();

        var deliveries = receiver.Receiver.Received;
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.True(d.Verified, d.VerifyError));

        // Each body is the CloudEvent Event Grid got: same id, type, subject and data.
        foreach (var delivery in deliveries)
        {
            var cloudEvent = CloudEvent.Parse(BinaryData.FromString(delivery.Body))!;
            Assert.Equal(cloudEvent.Id, delivery.WebhookId);
            var published = Assert.Single(harness.EventsFor(id), e => e.Id == cloudEvent.Id);
            Assert.Equal(published.Type, cloudEvent.Type);
            Assert.Equal(published.Subject, cloudEvent.Subject);
            Assert.Equal(TestRequests.DataOf(published).GetRawText(), TestRequests.DataOf(cloudEvent).GetRawText());

            // The second secret of a rotation signs too: a receiver still holding only it verifies.
            new StandardWebhook(_rotated).Verify(delivery.Body, Headers(delivery));
            Assert.Equal(2, delivery.Signature!.Split(' ').Distinct().Count());
        }

        Assert.Contains(deliveries, d => d.WebhookId == $"{id}.completed");
        Assert.Contains(deliveries, d => d.WebhookId == $"{id}.image.0");

        // Status API: each notification delivered, its attempt recorded.
        var view = (await harness.GetJobAsync(id)).Json.GetProperty("webhook");
        Assert.Equal(receiver.UrlFor("both").ToString(), view.GetProperty("url").GetString());
        var notifications = view.GetProperty("notifications").EnumerateArray().ToList();
        Assert.Equal(2, notifications.Count);
        Assert.All(notifications, n =>
        {
            Assert.Equal("delivered", n.GetProperty("state").GetString());
            var attempt = Assert.Single(n.GetProperty("attempts").EnumerateArray());
            Assert.Equal(200, attempt.GetProperty("status").GetInt32());
        });

        await AssertSecretsNowhereAsync(harness, id, [_secret, _rotated]);
    }

    [Fact]
    public async Task Tampered_body_wrong_secret_and_old_timestamp_fail_the_independent_check()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var accepted = await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("check")));
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();
        var delivery = Assert.Single(receiver.Receiver.Received);
        Assert.True(delivery.Verified, delivery.VerifyError);

        var verifier = new StandardWebhook(_secret);
        verifier.Verify(delivery.Body, Headers(delivery));
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(delivery.Body.Replace("completed", "c0mpleted", StringComparison.Ordinal), Headers(delivery)));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(WebhookKit.NewSecret()).Verify(delivery.Body, Headers(delivery)));

        // Signed correctly by the pipeline's code but six minutes ago: refused by the independent check, and by ours.
        var old = DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign([WebhookSignature.DecodeSecret(_secret)!], delivery.WebhookId!, old, Encoding.UTF8.GetBytes(delivery.Body));
        var stale = Headers(delivery with { Timestamp = old.ToString(System.Globalization.CultureInfo.InvariantCulture), Signature = signature });
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(delivery.Body, stale));
        Assert.NotNull(WebhookSignature.Verify([WebhookSignature.DecodeSecret(_secret)!], delivery.WebhookId, stale["webhook-timestamp"], signature, Encoding.UTF8.GetBytes(delivery.Body), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));

        // And the independent signer's signature for the same content is exactly ours.
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(verifier.Sign(delivery.WebhookId, now, delivery.Body),
            WebhookSignature.Sign([WebhookSignature.DecodeSecret(_secret)!], delivery.WebhookId!, now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(delivery.Body)));
        Assert.Equal(StatusCodes.Status202Accepted, accepted.Status);
    }

    [Fact]
    public async Task A_receiver_answering_500_three_times_then_200_gets_four_deliveries_with_one_webhook_id()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        receiver.Receiver.AnswerNext(500, 500, 500);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var id = (await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("flaky")))).Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();

        var deliveries = receiver.Receiver.Received;
        Assert.Equal([500, 500, 500, 200], deliveries.Select(d => d.AnsweredStatus));
        Assert.Single(deliveries.Select(d => d.WebhookId).Distinct());
        Assert.Single(deliveries.Select(d => d.Body).Distinct());
        Assert.All(deliveries, d => Assert.True(d.Verified, d.VerifyError));

        // Backoff: each retry waited its delay (1 s doubling, capped at 2 s here, jittered down to half, whole seconds on the queue).
        for (var i = 1; i < deliveries.Count; i++)
        {
            Assert.True(deliveries[i].ReceivedAt - deliveries[i - 1].ReceivedAt >= TimeSpan.FromMilliseconds(900), $"retry {i} came early");
        }

        var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("delivered", notification.GetProperty("state").GetString());
        var attempts = notification.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([500, 500, 500, 200], attempts.Select(a => a.GetProperty("status").GetInt32()));
        Assert.All(attempts.Take(3), a => Assert.True(a.GetProperty("nextAttemptAt").GetDateTimeOffset() > a.GetProperty("at").GetDateTimeOffset()));
        Assert.False(attempts[3].TryGetProperty("nextAttemptAt", out _));

        // The view page lists the same four attempts, answers and all.
        var page = (await ViewGenerationTests.ViewAsync(harness, id)).Text;
        Assert.Contains("<h2>Callback</h2>", page, StringComparison.Ordinal);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(page, "<td>HTTP 500</td>"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(page, "<td>HTTP 200</td>"));
        Assert.DoesNotContain(_secret["whsec_".Length..], page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_down_for_an_outage_gets_every_notification_once_it_is_back()
    {
        const int Jobs = 12;
        var server = await WebhookKit.StartReceiverAsync(_secret);
        var port = server.BaseAddress.Port;
        var receiver = server.Receiver;
        await server.DisposeAsync();
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var ids = new List<string>();
        for (var i = 0; i < Jobs; i++)
        {
            ids.Add((await harness.SubmitAsync(WebhookKit.RequestWithCallback(new Uri($"http://127.0.0.1:{port}/webhooks/outage")))).Json.GetProperty("id").GetString()!);
        }

        await harness.RunQueuesAsync();

        // The outage: every attempt is refused a connection and retried later.
        await harness.RunWebhooksAsync(stopWhenEmpty: false, timeout: TimeSpan.FromSeconds(2));
        Assert.Empty(receiver.Received);

        await using var back = await WebhookKit.StartReceiverAsync(_secret, port, receiver);
        await harness.RunWebhooksAsync(() => receiver.Received.Select(d => d.WebhookId).Distinct().Count() == Jobs, TimeSpan.FromSeconds(30), stopWhenEmpty: false);
        await harness.RunWebhooksAsync();

        Assert.Equal(ids.Select(id => $"{id}.completed").Order(), receiver.Received.Select(d => d.WebhookId!).Distinct().Order());
        Assert.All(receiver.Received, d => Assert.True(d.Verified, d.VerifyError));
        var failedAttempts = 0;
        foreach (var id in ids)
        {
            var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
            Assert.Equal("delivered", notification.GetProperty("state").GetString());
            failedAttempts += notification.GetProperty("attempts").EnumerateArray().Count(a => !a.TryGetProperty("status", out _));
        }

        Assert.True(failedAttempts >= Jobs, $"{failedAttempts} attempts met the outage");
    }

    [Fact]
    public async Task No_notification_of_200_jobs_is_lost()
    {
        const int Jobs = 200;
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);

        // One receiver failure in five (500, then a retry) on the way.
        receiver.Receiver.AnswerNext([.. Enumerable.Range(0, Jobs / 5).Select(_ => 503)]);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var ids = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Jobs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var accepted = await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("many")));
            lock (ids)
            {
                ids.Add(accepted.Json.GetProperty("id").GetString()!);
            }
        });
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync(timeout: TimeSpan.FromSeconds(120));

        var delivered = receiver.Receiver.Received.Where(d => d.AnsweredStatus == 200).Select(d => d.WebhookId!).ToList();
        Assert.Equal(ids.Select(id => $"{id}.completed").Order(), delivered.Order());
        Assert.All(receiver.Receiver.Received, d => Assert.True(d.Verified, d.VerifyError));
    }

    [Fact]
    public async Task Gone_stops_at_once_and_redeliver_sends_the_ended_notification_again_with_its_webhook_id()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        receiver.Receiver.AnswerNext(410);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var id = (await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("gone")))).Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();
        Assert.Single(receiver.Receiver.Received);
        var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("gone", notification.GetProperty("state").GetString());

        var redelivered = await harness.RedeliverWebhookAsync(id);
        Assert.Equal(StatusCodes.Status202Accepted, redelivered.Status);
        await harness.RunWebhooksAsync();
        Assert.Equal(2, receiver.Receiver.Received.Count);
        Assert.Single(receiver.Receiver.Received.Select(d => d.WebhookId).Distinct());
        notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("delivered", notification.GetProperty("state").GetString());
        Assert.Equal(2, notification.GetProperty("attempts").GetArrayLength());

        Assert.Equal(StatusCodes.Status404NotFound, (await harness.RedeliverWebhookAsync("nope")).Status);
        var plain = (await harness.SubmitAsync(TestRequests.Create("no callback"))).Json.GetProperty("id").GetString()!;
        Assert.Equal(StatusCodes.Status409Conflict, (await harness.RedeliverWebhookAsync(plain)).Status);
    }

    [Fact]
    public async Task A_client_error_other_than_gone_stops_after_the_configured_attempts_within_the_retry_window()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        receiver.Receiver.AnswerNext(400, 422, 404, 403, 400);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var id = (await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("refuses")))).Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync(timeout: TimeSpan.FromSeconds(20));

        // Webhooks:MaxClientErrorAttempts (3): a receiver refusing what it gets is not retried for the whole window.
        Assert.Equal([400, 422, 404], receiver.Receiver.Received.Select(d => d.AnsweredStatus));
        var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("failed", notification.GetProperty("state").GetString());
        await fixture.EventGrid.WaitForEventsAsync(e => e.Type == WebhookDeliverer.FailedType && e.Subject == $"generations/{id}");
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_giving_up_dead_letters_and_publishes_webhook_failed()
    {
        await using var target = await WebhookKit.StartReceiverAsync(_secret);
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        receiver.Receiver.RedirectTo = target.UrlFor("elsewhere");
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var id = (await harness.SubmitAsync(WebhookKit.RequestWithCallback(receiver.UrlFor("redirect")))).Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();

        Assert.Empty(target.Receiver.Received);
        Assert.Equal(3, receiver.Receiver.Received.Count);
        var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("failed", notification.GetProperty("state").GetString());

        var failed = await fixture.EventGrid.WaitForEventsAsync(e => e.Type == WebhookDeliverer.FailedType && e.Subject == $"generations/{id}");
        var schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(Seedream.Testing.RepositoryPaths.Root, "docs", "events.schema.json")), new Json.Schema.BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry() });
        var failedJson = JsonSerializer.SerializeToElement(Assert.Single(failed));
        Assert.True(schema.Evaluate(failedJson, new Json.Schema.EvaluationOptions { RequireFormatValidation = true }).IsValid, failedJson.GetRawText());
        var data = TestRequests.DataOf(Assert.Single(failed));
        Assert.Equal($"{id}.completed", data.GetProperty("webhookId").GetString());
        Assert.Equal(302, data.GetProperty("lastStatus").GetInt32());
        var blob = data.GetProperty("deadLetterBlob").GetString()!;
        var container = harness.Configuration["DeadLetterContainer"]!;
        var record = await harness.Storage.BlobService.GetBlobContainerClient(container).GetBlobClient(blob[(container.Length + 1)..]).DownloadContentAsync();
        Assert.Contains(id, record.Value.Content.ToString(), StringComparison.Ordinal);
        await AssertSecretsNowhereAsync(harness, id, [_secret]);
        Assert.DoesNotContain(_secret, record.Value.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_unknown_jobs_and_poison_on_the_delivery_queue_are_dead_lettered_not_dropped()
    {
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var queue = harness.Queue();
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("not json at all");
        await queue.SendMessageAsync(new WebhookDeliveryMessage("no-such-job", "no-such-job.completed", WebhookEvents.JobEnded, null, 1, DateTimeOffset.UtcNow).ToJson());
        await harness.RunWebhooksAsync();
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // A message the host gave up on (every dequeue threw) lands on the poison queue; its handler dead-letters it.
        var poison = harness.Services.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(queue.Name + "-poison");
        await poison.CreateIfNotExistsAsync();
        await poison.SendMessageAsync(new WebhookDeliveryMessage("some-job", "some-job.completed", WebhookEvents.JobEnded, null, 2, DateTimeOffset.UtcNow).ToJson());
        var poisoned = Assert.Single((await poison.ReceiveMessagesAsync(1)).Value);
        await harness.Create<ProcessPoisonWebhookDelivery>().RunAsync(poisoned, CancellationToken.None);

        var container = harness.Storage.BlobService.GetBlobContainerClient(harness.Configuration["DeadLetterContainer"]);
        var letters = await container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, prefix: null, CancellationToken.None).ToListAsync();
        Assert.Equal(["HandlerFailed", "UndecodableMessage", "UnknownJob"], letters.Select(b => b.Metadata["code"]).Order(StringComparer.Ordinal));
    }

    internal static HeaderDictionary Headers(ReceivedWebhook delivery) => new()
    {
        ["webhook-id"] = delivery.WebhookId,
        ["webhook-timestamp"] = delivery.Timestamp,
        ["webhook-signature"] = delivery.Signature,
    };

    /// <summary>The secret is in no blob of the jobs container, no event and no status answer.</summary>
    private async Task AssertSecretsNowhereAsync(PipelineHarness harness, string id, string[] secrets)
    {
        var texts = new List<string> { (await harness.GetJobAsync(id)).Text };
        await foreach (var blob in harness.Storage.Jobs.GetBlobsAsync())
        {
            texts.Add((await harness.Storage.Jobs.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString());
        }

        texts.AddRange(fixture.EventGrid.Events.Select(e => JsonSerializer.Serialize(e)));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal) || t.Contains(secret["whsec_".Length..], StringComparison.Ordinal));
        }
    }
}
