using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Azure.Storage.Blobs;
using Seedream.Testing;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// <c>./run.sh</c> in its interactive mode, as a newcomer starts it, on free ports and in its own process group (as a
/// terminal would run it), with storage data and logs in a temporary directory.
/// </summary>
public sealed class LocalStack : IAsyncDisposable
{
    private const string ReadyLine = "Ctrl-C stops everything.";
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _script;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalStack(Process script, string workDirectory, IReadOnlyDictionary<string, int> ports)
    {
        _script = script;
        WorkDirectory = workDirectory;
        Ports = ports;
        script.OutputDataReceived += (_, e) => Capture(e.Data, ready: e.Data == ReadyLine);
        script.ErrorDataReceived += (_, e) => Capture(e.Data, ready: false);
        script.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"run.sh exited before it was ready.\n{Output}"));
        script.EnableRaisingEvents = true;
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
    }

    /// <summary>The port variables run.sh reads, with the free port each was given.</summary>
    public IReadOnlyDictionary<string, int> Ports { get; }

    public string WorkDirectory { get; }

    public int ProcessGroupId => _script.Id;

    public Uri ApiBaseUrl => new($"http://127.0.0.1:{Ports["FUNCTIONS_PORT"]}/api/");

    public Uri EventsUrl => new($"http://127.0.0.1:{Ports["EVENTGRID_RECEIVER_PORT"]}/api/events");

    /// <summary>What the script printed so far (stdout and stderr, interleaved), and its service logs.</summary>
    public string Output
    {
        get
        {
            string printed;
            lock (_output)
            {
                printed = _output.ToString();
            }

            var logs = Directory.Exists(LogDirectory)
                ? Directory.EnumerateFiles(LogDirectory, "*.log").Select(log => $"--- {Path.GetFileName(log)}\n{ReadShared(log)}")
                : [];
            return string.Join('\n', [printed, .. logs]);
        }
    }

    /// <summary>The lines the script printed to its terminal so far (stdout and stderr), without the service logs.</summary>
    public IReadOnlyList<string> PrintedLines()
    {
        lock (_output)
        {
            return _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToList();
        }
    }

    private string LogDirectory => Path.Combine(WorkDirectory, "logs");

    public static LocalStack Start(IReadOnlyDictionary<string, string>? environment = null)
    {
        var (startInfo, ports, workDirectory) = ScriptStartInfo([]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return new LocalStack(Process.Start(startInfo)!, workDirectory, ports);
    }

    /// <summary>
    /// <c>./run.sh ARGUMENTS</c> to its end (<c>--smoke</c>, <c>batch</c>), on free ports with its own storage and logs,
    /// in its own process group; cancelling sends it SIGTERM (its EXIT trap stops what it started).
    /// </summary>
    public static async Task<ScriptRun> RunToEndAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (startInfo, _, workDirectory) = ScriptStartInfo(arguments);
        using var script = Process.Start(startInfo)!;
        var standardOutput = script.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var standardError = script.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await script.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Signal("-TERM", -script.Id);
            await script.WaitForExitAsync().WaitAsync(s_stopTimeout);
            throw;
        }
        finally
        {
            try
            {
                Directory.Delete(workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A service still closing may hold a file.
            }
        }

        return new ScriptRun(script.ExitCode, await standardOutput, await standardError);
    }

    /// <summary>run.sh with ARGUMENTS on free ports, storage and logs in a new temporary directory, as the leader of a new process group.</summary>
    private static (ProcessStartInfo StartInfo, Dictionary<string, int> Ports, string WorkDirectory) ScriptStartInfo(IEnumerable<string> arguments)
    {
        string[] variables = ["AZURITE_BLOB_PORT", "AZURITE_QUEUE_PORT", "AZURITE_TABLE_PORT", "SEEDREAM_EMULATOR_PORT", "EVENTGRID_RECEIVER_PORT", "FUNCTIONS_PORT"];
        var ports = variables.Zip(FreePorts.Take(variables.Length)).ToDictionary(pair => pair.First, pair => pair.Second);
        var workDirectory = Directory.CreateTempSubdirectory("end-to-end-").FullName;

        // setsid makes the script the leader of a new process group, like a shell's foreground job.
        var startInfo = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("/bin/bash");
        startInfo.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "run.sh"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        SetScriptEnvironment(startInfo, ports, workDirectory);
        return (startInfo, ports, workDirectory);
    }

    /// <summary>
    /// <c>./run.sh drop ARGUMENTS</c> against this stack, with the stack's ports and build, from a separate working
    /// directory (files are named by absolute path); returns once the tool has exited.
    /// </summary>
    public async Task<ScriptRun> DropAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("/bin/bash")
        {
            WorkingDirectory = WorkDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "run.sh"));
        startInfo.ArgumentList.Add("drop");
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        SetScriptEnvironment(startInfo, Ports, WorkDirectory);
        using var drop = Process.Start(startInfo)!;
        var standardOutput = drop.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var standardError = drop.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await drop.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            drop.Kill(entireProcessTree: true);
            throw;
        }

        return new ScriptRun(drop.ExitCode, await standardOutput, await standardError);
    }

    private static void SetScriptEnvironment(ProcessStartInfo startInfo, IReadOnlyDictionary<string, int> ports, string workDirectory)
    {
        foreach (var (name, port) in ports)
        {
            startInfo.Environment[name] = port.ToString(CultureInfo.InvariantCulture);
        }

        // The test build has built every service (and the drop tool) in this configuration.
        startInfo.Environment["RUN_NO_BUILD"] = "1";
        startInfo.Environment["RUN_CONFIGURATION"] = typeof(LocalStack).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        startInfo.Environment["AZURITE_LOCATION"] = Path.Combine(workDirectory, "azurite");
        startInfo.Environment["RUN_LOG_DIR"] = Path.Combine(workDirectory, "logs");
    }

    public Task WaitUntilReadyAsync(TimeSpan timeout) => _ready.Task.WaitAsync(timeout);

    /// <summary>A client of the Azurite blob service the script started (the well-known development account).</summary>
    public BlobServiceClient CreateBlobServiceClient() => new(
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteInstance.AccountName};AccountKey={AzuriteInstance.AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{Ports["AZURITE_BLOB_PORT"]}/{AzuriteInstance.AccountName};");

    /// <summary>The script and every process it started, found through parent links (services run in their own groups).</summary>
    public IReadOnlyList<LinuxProcess> ProcessTree() => LinuxProcess.DescendantsOf(_script.Id, includeRoot: true);

    /// <summary>SIGTERM to the script's process group, as closing the terminal does; returns the script's exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        Signal("-TERM", -_script.Id);
        await _script.WaitForExitAsync().WaitAsync(s_stopTimeout);
        return _script.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        // Reached with the script still running only when the test failed: its EXIT trap stops the services.
        if (!_script.HasExited)
        {
            Signal("-TERM", _script.Id);
            try
            {
                await _script.WaitForExitAsync().WaitAsync(s_stopTimeout);
            }
            catch (TimeoutException)
            {
                _script.Kill(entireProcessTree: true);
            }
        }

        _script.Dispose();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A service that outlived the script may still hold a file; the test has reported it already.
        }
    }

    private static void Signal(string signal, int target)
    {
        using var kill = Process.Start("kill", [signal, "--", target.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return text.Length > 4000 ? text[^4000..] : text;
    }

    private void Capture(string? line, bool ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ready)
        {
            _ready.TrySetResult();
        }
    }
}

/// <summary>What a finished run of the script returned and printed.</summary>
public sealed record ScriptRun(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n{StandardOutput}{StandardError}";
}
