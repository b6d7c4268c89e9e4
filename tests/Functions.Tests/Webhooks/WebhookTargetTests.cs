using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Tests.Webhooks;

/// <summary>Where a callback may point: refused at submission (400 naming the field) and again at connect time; never redirected.</summary>
[Collection(PipelineCollection.Name)]
public sealed class WebhookTargetTests(PipelineFixture fixture)
{
    private readonly string _secret = WebhookKit.NewSecret();

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("https://127.1/hook")]
    [InlineData("https://2130706433/hook")]
    [InlineData("https://0x7f.1/hook")]
    [InlineData("https://0177.0.0.1/hook")]
    [InlineData("https://0x7f000001/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://[0:0:0:0:0:ffff:7f00:1]/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.16.0.1/hook")]
    [InlineData("https://192.168.1.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[64:ff9b::a00:1]/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://LOCALHOST./hook")]
    [InlineData("https://api.localhost/hook")]
    [InlineData("https://intranet/hook")]
    [InlineData("https://loopback.example/hook")]
    [InlineData("https://private.example/hook")]
    [InlineData("https://mixed.example/hook")]
    [InlineData("http://public.example/hook")]
    [InlineData("https://user:secret@public.example/hook")]
    [InlineData("ftp://public.example/hook")]
    [InlineData("/relative/hook")]
    public async Task Private_and_loopback_targets_in_every_spelling_are_refused_at_submission_naming_the_field(string url)
    {
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret], allowLoopback: false, resolver: Names());
        var refused = await harness.SubmitAsync(WebhookKit.RequestWithCallback(new Uri(url, UriKind.RelativeOrAbsolute)));
        Assert.Equal(StatusCodes.Status400BadRequest, refused.Status);
        var errors = refused.Json.GetProperty("errors");
        Assert.Equal(["webhook.url"], errors.EnumerateObject().Select(e => e.Name));
        Assert.DoesNotContain(_secret, refused.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_https_target_is_accepted_and_bad_fields_are_each_named()
    {
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret], allowLoopback: false, resolver: Names());
        Assert.Equal(StatusCodes.Status202Accepted, (await harness.SubmitAsync(WebhookKit.RequestWithCallback(new Uri("https://public.example/hook")))).Status);

        var bad = await harness.SubmitAsync(TestRequests.Create("x", configure: r => r["webhook"] = JsonNodeOf("""{"url": 5, "events": ["job.ended", "job.started", 3], "secret": "x"}""")));
        Assert.Equal(StatusCodes.Status400BadRequest, bad.Status);
        Assert.Equal(["webhook.events[1]", "webhook.events[2]", "webhook.secret", "webhook.url"], bad.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());

        var notObject = await harness.SubmitAsync(TestRequests.Create("x", configure: r => r["webhook"] = "https://public.example/hook"));
        Assert.Equal(["webhook"], notObject.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Without_signing_secrets_a_callback_is_refused_at_submission()
    {
        await using var harness = WebhookKit.CreateHarness(fixture, [], allowLoopback: false, resolver: Names());
        var refused = await harness.SubmitAsync(WebhookKit.RequestWithCallback(new Uri("https://public.example/hook")));
        Assert.Equal(StatusCodes.Status400BadRequest, refused.Status);
        Assert.Contains("SigningSecrets", refused.Json.GetProperty("errors").GetProperty("webhook.url")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queued_request_with_a_private_callback_becomes_a_failed_job_naming_the_field()
    {
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret], allowLoopback: false, resolver: Names());
        var message = TestRequests.Create("x", configure: r =>
        {
            r["id"] = "queued-private-callback";
            r["webhook"] = JsonNodeOf("""{"url": "https://169.254.169.254/hook"}""");
        });
        var before = harness.GenerationRequestCount();
        await harness.EnqueueRawAsync(message);
        await harness.RunQueuesAsync();
        var job = (await harness.GetJobAsync("queued-private-callback")).Json;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("error").GetProperty("fields").TryGetProperty("webhook.url", out _));
        Assert.Equal(before, harness.GenerationRequestCount());
    }

    [Fact]
    public async Task A_name_that_rebinds_to_loopback_after_submission_is_refused_when_connecting()
    {
        await using var receiver = await WebhookKit.StartReceiverAsync(_secret);

        // Public when the submission is checked, loopback (where the receiver listens) when the sender connects.
        var resolver = new WebhookKit.ScriptedResolver([IPAddress.Parse("93.184.216.34")], [IPAddress.Loopback]);
        await using var harness = WebhookKit.CreateHarness(fixture, [_secret], allowLoopback: false, resolver: resolver);
        var url = new Uri($"https://rebind.example:{receiver.BaseAddress.Port}/webhooks/rebind");
        var accepted = await harness.SubmitAsync(WebhookKit.RequestWithCallback(url));
        Assert.Equal(StatusCodes.Status202Accepted, accepted.Status);
        var id = accepted.Json.GetProperty("id").GetString()!;
        await harness.RunQueuesAsync();
        await harness.RunWebhooksAsync();

        Assert.Empty(receiver.Receiver.Received);
        Assert.True(resolver.Calls >= 2);
        var notification = Assert.Single((await harness.GetJobAsync(id)).Json.GetProperty("webhook").GetProperty("notifications").EnumerateArray());
        Assert.Equal("failed", notification.GetProperty("state").GetString());
        var attempt = Assert.Single(notification.GetProperty("attempts").EnumerateArray());
        Assert.Contains("refused address", attempt.GetProperty("error").GetString(), StringComparison.Ordinal);
        await fixture.EventGrid.WaitForEventsAsync(e => e.Type == WebhookDeliverer.FailedType && e.Subject == $"generations/{id}");
    }

    /// <summary>public.example is public; loopback.example and private.example resolve inside; mixed.example to both.</summary>
    private static WebhookAddressResolver Names() => new MapResolver(new Dictionary<string, IPAddress[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["public.example"] = [IPAddress.Parse("93.184.216.34")],
        ["loopback.example"] = [IPAddress.Loopback],
        ["private.example"] = [IPAddress.Parse("10.20.30.40")],
        ["mixed.example"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("192.168.0.7")],
    });

    private static System.Text.Json.Nodes.JsonNode JsonNodeOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;

    private sealed class MapResolver(Dictionary<string, IPAddress[]> names) : WebhookAddressResolver
    {
        public override Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            names.TryGetValue(host, out var addresses) ? Task.FromResult(addresses) : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
    }
}
