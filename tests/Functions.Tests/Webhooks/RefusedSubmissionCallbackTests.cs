using System.Text;
using System.Text.Json.Nodes;
using Azure.Messaging;
using Seedream.Functions.Events;
using Seedream.Functions.Tests.Drops;

namespace Seedream.Functions.Tests.Webhooks;

/// <summary>
/// A queue message or JSON drop refused at intake still ends as a job (failed, with its Failed event); when its
/// <c>webhook</c> field is itself valid, the caller is told through it too. A faulty <c>webhook</c> is never called.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class RefusedSubmissionCallbackTests(PipelineFixture fixture)
{
    private readonly string _secret = WebhookKit.NewSecret();

    [Fact]
    public async Task A_refused_queue_message_with_a_valid_webhook_gets_its_failed_notification()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret]);
        var id = $"refused-{Guid.NewGuid():N}";
        await harness.EnqueueRawAsync(Refused(receiver.UrlFor("queue"), request => request["id"] = id));
        var faulty = $"refused-{Guid.NewGuid():N}";
        await harness.EnqueueRawAsync(Refused(receiver.UrlFor("faulty"), request =>
        {
            request["id"] = faulty;
            request["webhook"]!["extra"] = 1;
        }));
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();

        AssertFailedNotification(harness, receiver, id, "queue");
        Assert.Equal("failed", (await harness.GetJobAsync(faulty)).Json.GetProperty("status").GetString());
        Assert.DoesNotContain(receiver.Receiver.Received, d => d.Path.EndsWith("/faulty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_json_drop_with_a_valid_webhook_gets_its_failed_notification()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);
        await using var kit = await DropKit.CreateAsync(fixture, WebhookKit.Settings([_secret]));
        var drop = await kit.DropAsync("refused/request.json", Encoding.UTF8.GetBytes(Refused(receiver.UrlFor("drop"))));
        await kit.RunAsync();
        await kit.Harness.RunWebhooksAsync();

        AssertFailedNotification(kit.Harness, receiver, drop.JobId, "drop");
    }

    /// <summary>A request whose <c>watermark</c> is at fault (so it binds, and fails), with a callback to <paramref name="url"/>.</summary>
    private static string Refused(Uri url, Action<JsonObject>? configure = null)
    {
        var request = JsonNode.Parse(WebhookKit.RequestWithCallback(url))!.AsObject();
        request["watermark"] = "no";
        configure?.Invoke(request);
        return request.ToJsonString();
    }

    private static void AssertFailedNotification(PipelineHarness harness, EventGridReceiver.WebhookReceiverServer receiver, string id, string name)
    {
        var failed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        var delivery = Assert.Single(receiver.Receiver.Received, d => d.Path.EndsWith("/" + name, StringComparison.Ordinal));
        Assert.True(delivery.Verified, delivery.VerifyError);
        var body = CloudEvent.Parse(BinaryData.FromString(delivery.Body))!;
        Assert.Equal(failed.Id, body.Id);
        Assert.Equal(JobEventPublisher.FailedType, body.Type);
        Assert.True(TestRequests.DataOf(body).GetProperty("error").GetProperty("fields").TryGetProperty("watermark", out _), delivery.Body);
    }
}
