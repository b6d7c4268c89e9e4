using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Seedream.Http;

/// <summary>Tells failures where the request cannot have left the machine from those where it may have reached the server.</summary>
internal static class FailureClassifier
{
    /// <summary>
    /// True only for failures while connecting: refused, DNS, TLS handshake, connect timeout. A reset or EOF after the
    /// request was written is NOT pre-send: the server may be generating (and billing) already.
    /// </summary>
    public static bool IsPreSend(Exception? exception)
    {
        // SocketsHttpHandler reports an elapsed ConnectTimeout as a cancellation caused by a TimeoutException. The
        // clients here set HttpClient.Timeout to infinite, so no other timeout takes this shape.
        if (exception is OperationCanceledException { InnerException: TimeoutException })
        {
            return true;
        }

        if (exception is not HttpRequestException httpException)
        {
            return false;
        }

        if (httpException.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            return !IsBlockedByPolicy(httpException);
        }

        return httpException.InnerException switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable } => true,
            AuthenticationException => true,
            _ => false,
        };
    }

    /// <summary>True when the download guard refused the connection; such failures are final.</summary>
    public static bool IsBlockedByPolicy(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SeedreamException { ErrorCode: SeedreamException.DownloadBlockedCode })
            {
                return true;
            }
        }

        return false;
    }
}
