using System.Text;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace Seedream.Functions.Tests.Webhooks;

/// <summary>Webhook senders calling POST /api/generations, signed with the NuGet StandardWebhooks package.</summary>
[Collection(PipelineCollection.Name)]
public sealed class InboundWebhookTests(PipelineFixture fixture)
{
    private readonly string _secret = WebhookKit.NewSecret();

    [Fact]
    public async Task A_signed_senders_retry_gets_the_first_job_and_one_generation()
    {
        await using var harness = Harness();
        var body = TestRequests.Create("a product photo of a red kettle");
        var first = await harness.SubmitAsync(body, Signed(_secret, "msg_kettle_1", DateTimeOffset.UtcNow, body));
        Assert.Equal(StatusCodes.Status202Accepted, first.Status);
        var retry = await harness.SubmitAsync(body, Signed(_secret, "msg_kettle_1", DateTimeOffset.UtcNow.AddSeconds(30), body));
        Assert.Equal(StatusCodes.Status202Accepted, retry.Status);
        Assert.Equal(first.Json.GetProperty("id").GetString(), retry.Json.GetProperty("id").GetString());

        var before = harness.GenerationRequestCount();
        await harness.RunQueuesAsync();
        Assert.Equal(1, harness.GenerationRequestCount() - before);

        // Another notification (new webhook-id) is another job; the same id with another body is a conflict.
        var other = await harness.SubmitAsync(body, Signed(_secret, "msg_kettle_2", DateTimeOffset.UtcNow, body));
        Assert.NotEqual(first.Json.GetProperty("id").GetString(), other.Json.GetProperty("id").GetString());
        var changed = TestRequests.Create("a blue kettle");
        Assert.Equal(StatusCodes.Status409Conflict, (await harness.SubmitAsync(changed, Signed(_secret, "msg_kettle_1", DateTimeOffset.UtcNow, changed))).Status);
    }

    [Fact]
    public async Task Unsigned_badly_signed_stale_or_tampered_submissions_get_401_and_make_no_job()
    {
        await using var harness = Harness();
        var body = TestRequests.Create("a kettle");
        var cases = new (string Name, IReadOnlyDictionary<string, string>? Headers, string Body)[]
        {
            ("unsigned", null, body),
            ("wrong secret", Signed(WebhookKit.NewSecret(), "msg_1", DateTimeOffset.UtcNow, body), body),
            ("six minutes old", Signed(_secret, "msg_2", DateTimeOffset.UtcNow.AddMinutes(-6), body), body),
            ("from the future", Signed(_secret, "msg_3", DateTimeOffset.UtcNow.AddMinutes(6), body), body),
            ("tampered body", Signed(_secret, "msg_4", DateTimeOffset.UtcNow, body), body.Replace("kettle", "teapot", StringComparison.Ordinal)),
            ("no signature", new Dictionary<string, string> { ["webhook-id"] = "msg_5", ["webhook-timestamp"] = Now() }, body),
            ("garbage signature", new Dictionary<string, string> { ["webhook-id"] = "msg_6", ["webhook-timestamp"] = Now(), ["webhook-signature"] = "v1,!!!! v2,abc" }, body),
        };
        foreach (var (name, headers, sent) in cases)
        {
            var refused = await harness.SubmitAsync(sent, headers);
            Assert.True(refused.Status == StatusCodes.Status401Unauthorized, $"{name}: {refused.Status} {refused.Text}");
            Assert.Equal("application/problem+json", refused.ContentType);
            Assert.DoesNotContain(_secret["whsec_".Length..], refused.Text, StringComparison.Ordinal);
        }

        // Nothing was stored: not a job, not an idempotency record (the container was never even needed).
        if ((await harness.Storage.Jobs.ExistsAsync()).Value)
        {
            Assert.Empty(await harness.Storage.Jobs.GetBlobsAsync().ToListAsync());
        }
    }

    [Fact]
    public async Task With_signatures_optional_unsigned_callers_pass_and_signed_ones_are_still_checked()
    {
        await using var harness = Harness(require: false);
        var body = TestRequests.Create("a kettle");
        Assert.Equal(StatusCodes.Status202Accepted, (await harness.SubmitAsync(body)).Status);
        Assert.Equal(StatusCodes.Status401Unauthorized, (await harness.SubmitAsync(body, Signed(WebhookKit.NewSecret(), "msg_1", DateTimeOffset.UtcNow, body))).Status);
    }

    private PipelineHarness Harness(bool require = true) => fixture.CreateHarness(new Dictionary<string, string?>
    {
        ["Webhooks:InboundSecrets:0"] = _secret,
        ["Webhooks:RequireInboundSignature"] = require ? "true" : "false",
    });

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Signed(string secret, string id, DateTimeOffset at, string body) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = new StandardWebhook(secret).Sign(id, at, body),
    };
}
