using System.Net;
using System.Net.Sockets;

namespace Seedream.Functions.Tests.Processing;

/// <summary>
/// Relays every TCP connection on a loopback port to another one (the emulator), so a test can make a base URL refuse
/// connections first and answer later: before <see cref="Start"/>, connecting to the port is refused.
/// </summary>
internal sealed class LoopbackForwarder(int port, Uri target) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;

    public int Port { get; } = port;

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _accepting = AcceptAsync(_listener, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken);
            _ = RelayAsync(client, cancellationToken);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(target.Host, target.Port, cancellationToken);
                var down = client.GetStream();
                var up = upstream.GetStream();
                // Either side closing ends the relay; the other copy then fails on the disposed socket.
                await Task.WhenAny(down.CopyToAsync(up, cancellationToken), up.CopyToAsync(down, cancellationToken));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A connection dropped by either side, or the forwarder stopping.
            }
        }
    }
}
