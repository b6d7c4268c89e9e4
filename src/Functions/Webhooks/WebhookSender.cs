using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Webhooks;

/// <summary>What one POST to a callback came to: the status, or why there was none.</summary>
/// <param name="Refused">The target resolved to an address callbacks may not reach (never retried).</param>
public sealed record WebhookSendResult(int? Status, string? Error, bool Refused, TimeSpan Duration);

/// <summary>
/// POSTs a signed notification: the CloudEvent JSON, <c>webhook-id</c>, <c>webhook-timestamp</c>,
/// <c>webhook-signature</c> (every configured secret signs). Connections go only to addresses the target rules allow,
/// checked on the address actually connected (a name rebinding to a private address is refused); redirects are not
/// followed; at most <see cref="WebhookOptions.MaxResponseBytes"/> of the answer are read; one short timeout covers all.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _client;
    private readonly WebhookOptions _options;
    private readonly IReadOnlyList<byte[]> _keys;
    private readonly TimeProvider _time;

    public WebhookSender(IOptions<WebhookOptions> options, WebhookTargetRules rules, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _options = options.Value;
        _keys = [.. _options.SigningSecrets.Select(s => WebhookSignature.DecodeSecret(s) ?? throw new InvalidOperationException("A Webhooks:SigningSecrets entry is not a whsec_ secret."))];
        _time = time;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = _options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await rules.ResolveAllowedAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Seedream-Pipeline-Webhooks", "1.0"));
    }

    public async Task<WebhookSendResult> SendAsync(Uri url, string webhookId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var started = Stopwatch.GetTimestamp();
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, webhookId);
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_keys, webhookId, timestamp, body.Span));
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            await DrainAsync(response, timeout.Token).ConfigureAwait(false);
            return new WebhookSendResult((int)response.StatusCode, null, false, Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException e) when (Find<WebhookTargetRefusedException>(e) is { } refused)
        {
            return new WebhookSendResult(null, refused.Message, true, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookSendResult(null, $"No answer within {_options.Timeout.TotalSeconds:0.#} s.", false, Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException e)
        {
            return new WebhookSendResult(null, $"Connection failed: {LogText.Cut(e.HttpRequestError.ToString(), 40)} ({LogText.Cut(e.Message, 160)}).", false, Stopwatch.GetElapsedTime(started));
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Reads at most the configured bytes of the answer (a receiver's body says nothing we act on) and drops the rest.</summary>
    private async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                for (var total = 0; total < _options.MaxResponseBytes;)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, _options.MaxResponseBytes - total)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The status is what counts; a body cut short does not change it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
