using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Seedream.Functions.Webhooks;

/// <summary>What the inbound check made of a submission: go on (with the sender's <c>webhook-id</c> when signed), or why not.</summary>
public sealed record InboundWebhookCheck(bool Passed, string? WebhookId, string? Problem);

/// <summary>
/// Webhook senders calling <c>POST /api/generations</c> (a CMS, a shop, a workflow engine): with
/// <see cref="WebhookOptions.InboundSecrets"/> configured, the Standard Webhooks signature and timestamp are checked
/// before anything else is done with the body, and the sender's <c>webhook-id</c> becomes the idempotency key, so that
/// its retries never make a second job.
/// </summary>
public sealed class InboundWebhookVerifier
{
    private readonly IReadOnlyList<byte[]> _keys;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;

    public InboundWebhookVerifier(IOptions<WebhookOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _keys = [.. _options.InboundSecrets.Select(WebhookSignature.DecodeSecret).OfType<byte[]>()];
        _time = time;
    }

    /// <summary>True when the headers must be looked at before the body is read.</summary>
    public bool IsEnabled => _keys.Count > 0;

    public InboundWebhookCheck Check(IHeaderDictionary headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!IsEnabled)
        {
            return new InboundWebhookCheck(true, null, null);
        }

        var id = headers[WebhookSignature.IdHeader].FirstOrDefault();
        var timestamp = headers[WebhookSignature.TimestampHeader].FirstOrDefault();
        var signature = headers[WebhookSignature.SignatureHeader].FirstOrDefault();
        if (id is null && timestamp is null && signature is null && !_options.RequireInboundSignature)
        {
            return new InboundWebhookCheck(true, null, null);
        }

        if (id is { Length: > 256 })
        {
            return new InboundWebhookCheck(false, null, $"{WebhookSignature.IdHeader} may hold at most 256 characters.");
        }

        var problem = WebhookSignature.Verify(_keys, id, timestamp, signature, body, _time.GetUtcNow(), _options.InboundTolerance);
        return problem is null ? new InboundWebhookCheck(true, id, null) : new InboundWebhookCheck(false, null, problem);
    }
}
