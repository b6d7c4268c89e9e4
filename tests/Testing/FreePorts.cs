using System.Net;
using System.Net.Sockets;

namespace Seedream.Testing;

/// <summary>Finds loopback ports that are free right now (the caller must still handle losing a race for them).</summary>
public static class FreePorts
{
    public static int[] Take(int count)
    {
        // Hold all listeners open together so the same port is not handed out twice.
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }

    public static async Task<bool> IsAnsweringAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
