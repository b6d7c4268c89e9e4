using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Intake;

/// <summary>
/// Reads the first bytes of an https reference (a ranged GET, streamed into one pooled buffer of
/// <see cref="ImageHeader.HeaderBytes"/>) so that its signature and pixel size are checked before the job is accepted.
/// Connections go only to public addresses: a host name that resolves to a private one is refused at connect time.
/// </summary>
public sealed class ReferenceUrlProbe : IDisposable
{
    private readonly HttpClient _client;
    private readonly IntakeOptions _options;

    public ReferenceUrlProbe(IOptions<IntakeOptions> options)
    {
        _options = options.Value;
        var allowLoopback = _options.AllowLoopbackReferences;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
                var allowed = addresses.FirstOrDefault(a => !ReferenceUrlPolicy.IsInternal(a) || (allowLoopback && ReferenceUrlPolicy.IsLoopback(a)))
                    ?? throw new HttpRequestException($"'{context.DnsEndPoint.Host}' resolves only to private or reserved addresses.");
                var socket = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(allowed, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
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
    }

    /// <summary>Why Seedream would refuse the image at <paramref name="url"/> as a reference of <paramref name="model"/>; null when it looks fine.</summary>
    public async Task<string?> CheckAsync(Uri url, string? model, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReferenceProbeTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(ImageHeader.HeaderBytes);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Range = new RangeHeaderValue(0, ImageHeader.HeaderBytes - 1);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                return $"The reference URL answered HTTP {(int)response.StatusCode}; Seedream would not get an image from it.";
            }

            var total = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var read = 0;
                int chunk;
                while (read < ImageHeader.HeaderBytes && (chunk = await stream.ReadAsync(buffer.AsMemory(read, ImageHeader.HeaderBytes - read), timeout.Token).ConfigureAwait(false)) > 0)
                {
                    read += chunk;
                }

                // A server that ignores Range and sends no length: what was read is a lower bound only.
                return ReferenceImageRules.Check(buffer.AsSpan(0, read), total, declaredFormat: null, model);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"The reference URL did not answer within {_options.ReferenceProbeTimeout.TotalSeconds:0} s.";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or System.Security.Authentication.AuthenticationException)
        {
            return $"The reference URL could not be fetched: {LogText.Cut(e.Message, 160)}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _client.Dispose();
}
