using System.Diagnostics;
using System.Text;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>
/// A child process that serves HTTP on a loopback port (the emulator, the development host): its output is kept for
/// error messages, and it counts as started once the port answers.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => Process = process;

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="startInfo"/> and waits until <paramref name="port"/> answers; a process that exits first fails with its output.</summary>
    public static async Task<ServerProcess> StartAsync(ProcessStartInfo startInfo, int port, string name, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"The {name} did not start.");
        var server = new ServerProcess(process);
        process.OutputDataReceived += server.Capture;
        process.ErrorDataReceived += server.Capture;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(startTimeout);
            while (!await FreePorts.IsAnsweringAsync(port, timeout.Token).ConfigureAwait(false))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The {name} exited with {process.ExitCode} before listening: {server.Output}");
                }

                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills the process tree and reaps it; a slow reap after the kill must not fail a run.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        try
        {
            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Signalled; the kernel reaps it.
        }

        Process.Dispose();
    }

    private void Capture(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is not null)
        {
            lock (_output)
            {
                _output.AppendLine(e.Data);
            }
        }
    }
}
