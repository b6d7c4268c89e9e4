using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Webhooks;

/// <summary>Resolves host names for the callback rules (a seam so that a test can make a name resolve to loopback).</summary>
public class WebhookAddressResolver
{
    public virtual Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// The submission's <c>webhook</c> field (<c>{"url": "https://…", "events": ["job.ended", "image.stored"]}</c>) and where a
/// callback may point: https on a public host. Loopback, private, link-local and reserved addresses are refused in every
/// spelling (the client's <c>NetworkAddressPolicy</c>), names that resolve only there too; the sender checks the address
/// again when it connects. <see cref="IntakeOptions.AllowLoopbackReferences"/> admits loopback (http too) for local runs.
/// </summary>
public sealed class WebhookTargetRules
{
    public const string Field = "webhook";
    private const int MaxUrlLength = 2048;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(3);

    private readonly bool _allowLoopback;
    private readonly bool _configured;
    private readonly WebhookAddressResolver _resolver;

    public WebhookTargetRules(IOptions<IntakeOptions> intake, IOptions<WebhookOptions> webhooks, WebhookAddressResolver resolver)
    {
        _allowLoopback = intake.Value.AllowLoopbackReferences;
        _configured = webhooks.Value.SigningSecrets.Count > 0;
        _resolver = resolver;
    }

    public bool AllowsLoopback => _allowLoopback;

    /// <summary>Removes <c>webhook</c> from the body (it is the pipeline's, not Seedream's) and returns the subscription, or adds every problem.</summary>
    public async Task<WebhookSubscription?> TakeAsync(JsonObject root, IntakeProblems problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(problems);
        if (!root.TryGetPropertyValue(Field, out var node))
        {
            return null;
        }

        root.Remove(Field);
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject fields)
        {
            problems.Add(Field, "webhook must be an object: {\"url\": \"https://…\", \"events\": [\"job.ended\", \"image.stored\"]}.");
            return null;
        }

        foreach (var (key, _) in fields)
        {
            if (key is not ("url" or "events"))
            {
                problems.Add($"{Field}.{LogText.Cut(key, 48)}", "Unknown field; webhook takes url and events.");
            }
        }

        var events = TakeEvents(fields["events"], problems);
        var url = await TakeUrlAsync(fields["url"], problems, cancellationToken).ConfigureAwait(false);
        if (url is not null && !_configured)
        {
            problems.Add($"{Field}.url", "Callbacks are not enabled on this deployment (no Webhooks:SigningSecrets configured to sign them).");
            return null;
        }

        return url is null || events is null ? null : new WebhookSubscription(url, events);
    }

    /// <summary>Why a connection to <paramref name="address"/> is refused; null when it may be made (the sender's connect-time check).</summary>
    public string? CheckAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_allowLoopback && ReferenceUrlPolicy.IsLoopback(address))
        {
            return null;
        }

        return ReferenceUrlPolicy.IsInternal(address) ? $"{address} is a loopback, private, link-local or reserved address." : null;
    }

    /// <summary>The addresses a callback host may be reached at (all public, or loopback when allowed); throws when there are none.</summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await _resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        var refused = addresses.Select(CheckAddress).FirstOrDefault(reason => reason is not null);
        if (addresses.Length == 0 || refused is not null)
        {
            // One internal answer is enough to refuse: a rebinding name hands out a public address first, a private one later.
            throw new WebhookTargetRefusedException($"The callback host '{LogText.Cut(host, 64)}' resolves to a refused address: {refused ?? "none at all"}");
        }

        return addresses;
    }

    private static List<string>? TakeEvents(JsonNode? node, IntakeProblems problems)
    {
        var path = $"{Field}.events";
        if (node is null)
        {
            return [WebhookEvents.JobEnded];
        }

        if (node is not JsonArray items || items.Count is 0 or > 8)
        {
            problems.Add(path, $"events must be a non-empty array of: {string.Join(", ", WebhookEvents.All)}.");
            return null;
        }

        var events = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String && WebhookEvents.All.Contains(value.GetValue<string>()))
            {
                events.Add(value.GetValue<string>());
            }
            else
            {
                problems.Add($"{path}[{i}]", $"Unknown event; choose from {string.Join(", ", WebhookEvents.All)}.");
            }
        }

        return events.Count == items.Count ? [.. events.Distinct(StringComparer.Ordinal)] : null;
    }

    private async Task<Uri?> TakeUrlAsync(JsonNode? node, IntakeProblems problems, CancellationToken cancellationToken)
    {
        var path = $"{Field}.url";
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            problems.Add(path, "webhook.url is required: the https URL that receives the notifications.");
            return null;
        }

        var text = value.GetValue<string>();
        if (text.Length > MaxUrlLength || !Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add(path, $"webhook.url must be an absolute https URL of at most {MaxUrlLength} characters.");
            return null;
        }

        if (Refusal(url) is { } reason)
        {
            problems.Add(path, reason);
            return null;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ResolveTimeout);
            await ResolveAllowedAsync(url.IdnHost, timeout.Token).ConfigureAwait(false);
        }
        catch (WebhookTargetRefusedException e)
        {
            problems.Add(path, e.Message);
            return null;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            problems.Add(path, $"The callback host '{LogText.Cut(url.Host, 64)}' does not resolve.");
            return null;
        }

        return url;
    }

    private string? Refusal(Uri url)
    {
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "webhook.url may not carry credentials (user:password@); put a token in the path or query instead.";
        }

        var host = url.Host.Trim('[', ']').TrimEnd('.');
        var address = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        var loopback = address is not null ? ReferenceUrlPolicy.IsLoopback(address)
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
        if (loopback)
        {
            return _allowLoopback ? null : $"The callback host '{LogText.Cut(url.Host, 64)}' is loopback; callbacks go to public hosts only (local runs: Intake:AllowLoopbackReferences).";
        }

        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return "webhook.url must use https.";
        }

        if (address is not null && ReferenceUrlPolicy.IsInternal(address))
        {
            return $"The callback host '{LogText.Cut(url.Host, 64)}' is a private, link-local or reserved address; callbacks go to public hosts only.";
        }

        return address is null && !host.Contains('.', StringComparison.Ordinal) ? $"The callback host '{LogText.Cut(url.Host, 64)}' is not a public internet name." : null;
    }
}

/// <summary>A callback target that resolves (or connects) to an address callbacks may not reach.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);
