using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Seedream.Testing;

/// <summary>
/// An Azurite process (from node_modules/.bin/azurite) on free loopback ports with in-memory persistence.
/// Disposing kills the process tree; so does the test host exiting, even when it is killed outright.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const int MaxStartAttempts = 5;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<AzuriteInstance, byte> s_running = new();

    // Azurite runs under a small shell that also watches its own stdin (a pipe from this process): when this
    // process dies for any reason the pipe closes and the shell kills Azurite, so no orphan survives a crashed test host.
    private const string WatchdogScript = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        azurite=$!
        (cat <&3 >/dev/null 2>&1; kill "$azurite" 2>/dev/null) >/dev/null 2>&1 &
        exec 3<&-
        wait "$azurite"
        """;

    private readonly Process _process;
    private readonly StringBuilder _output;
    private int _disposed;

    static AzuriteInstance()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var instance in s_running.Keys)
            {
                instance.Kill();
            }
        };
    }

    private AzuriteInstance(Process process, StringBuilder output, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _output = output;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        BlobEndpoint = new Uri($"http://127.0.0.1:{blobPort}/{AccountName}");
        QueueEndpoint = new Uri($"http://127.0.0.1:{queuePort}/{AccountName}");
        TableEndpoint = new Uri($"http://127.0.0.1:{tablePort}/{AccountName}");
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public Uri BlobEndpoint { get; }
    public Uri QueueEndpoint { get; }
    public Uri TableEndpoint { get; }
    public string ConnectionString { get; }

    /// <summary>The process Azurite runs under (a small watchdog shell; Node.js is its child).</summary>
    public int ProcessId => _process.Id;

    /// <summary>What Azurite printed so far (errors only, it runs with --silent).</summary>
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

    public static string ExecutablePath => Path.Combine(RepositoryPaths.Root, "node_modules", ".bin", "azurite");

    public static Task<AzuriteInstance> StartAsync(CancellationToken cancellationToken = default) => StartAsync(location: null, cancellationToken);

    /// <summary>
    /// Starts Azurite persisting to <paramref name="location"/> (a directory) instead of memory, for runs that store more
    /// than memory should hold (the capacity benchmark stores gigabytes per cell); null keeps it in memory.
    /// </summary>
    public static async Task<AzuriteInstance> StartAsync(string? location, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({ExecutablePath} is missing): run `npm ci` in {RepositoryPaths.Root}.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts.Take(3);
            var instance = Launch(ports[0], ports[1], ports[2], location);
            try
            {
                if (await instance.WaitUntilListeningAsync(cancellationToken).ConfigureAwait(false))
                {
                    return instance;
                }
            }
            catch
            {
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            // Azurite exited before listening: most likely another process took one of the ports in between.
            var output = instance.Output;
            await instance.DisposeAsync().ConfigureAwait(false);
            if (attempt >= MaxStartAttempts || !output.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Azurite exited during startup (attempt {attempt}): {output}");
            }
        }
    }

    public BlobServiceClient CreateBlobServiceClient() => new(ConnectionString);

    public QueueServiceClient CreateQueueServiceClient() =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        s_running.TryRemove(this, out _);
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The tree was signalled; a zombie that is slow to be reaped must not fail the test run.
        }

        _process.Dispose();
    }

    private static AzuriteInstance Launch(int blobPort, int queuePort, int tablePort, string? location)
    {
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[]
        {
            "-c", WatchdogScript, "azurite-watchdog", ExecutablePath,
            "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (location is null)
        {
            startInfo.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            startInfo.ArgumentList.Add("--location");
            startInfo.ArgumentList.Add(location);
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        DataReceivedEventHandler capture = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += capture;
        process.ErrorDataReceived += capture;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var instance = new AzuriteInstance(process, output, blobPort, queuePort, tablePort);
        s_running.TryAdd(instance, 0);
        return instance;
    }

    private async Task<bool> WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_startTimeout);
        try
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    return false;
                }

                if (await FreePorts.IsAnsweringAsync(BlobPort, timeout.Token).ConfigureAwait(false)
                    && await FreePorts.IsAnsweringAsync(QueuePort, timeout.Token).ConfigureAwait(false)
                    && await FreePorts.IsAnsweringAsync(TablePort, timeout.Token).ConfigureAwait(false))
                {
                    return true;
                }

                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Azurite did not listen on ports {BlobPort}/{QueuePort}/{TablePort} within {s_startTimeout.TotalSeconds} s. Output: {Output}");
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        try
        {
            // Also ends the watchdog subshell should the shell itself be gone already.
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The pipe is already broken: the reader is gone.
        }
    }
}
