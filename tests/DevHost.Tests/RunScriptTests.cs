using System.Diagnostics;
using System.Reflection;
using System.Text;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

/// <summary>./run.sh end to end: real Azurite, emulator, Event Grid receiver and development host on free ports.</summary>
public sealed class RunScriptTests : IDisposable
{
    private const string ReadyLine = "Ctrl-C stops everything.";
    private static readonly string[] s_portVariables =
        ["AZURITE_BLOB_PORT", "AZURITE_QUEUE_PORT", "AZURITE_TABLE_PORT", "SEEDREAM_EMULATOR_PORT", "EVENTGRID_RECEIVER_PORT", "FUNCTIONS_PORT"];

    private readonly string _workDirectory = Directory.CreateTempSubdirectory("run-sh-tests-").FullName;
    private readonly Dictionary<string, string> _ports;

    public RunScriptTests()
    {
        var ports = FreePorts.Take(s_portVariables.Length);
        _ports = s_portVariables.Zip(ports, (name, port) => (name, port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToDictionary(pair => pair.name, pair => pair.Item2);
    }

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [Fact]
    public async Task PortInUse_IsReportedInOneLine_BeforeAnythingStarts()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, int.Parse(_ports["SEEDREAM_EMULATOR_PORT"], System.Globalization.CultureInfo.InvariantCulture));
        holder.Start();
        using var script = StartScript("--smoke");

        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, exitCode);
        var errorLines = script.Errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"run.sh: port {_ports["SEEDREAM_EMULATOR_PORT"]} (Seedream emulator) is already in use; stop what holds it or set SEEDREAM_EMULATOR_PORT to a free port.", Assert.Single(errorLines));
        Assert.DoesNotContain("starting", script.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smoke_GeneratesTheExample_ReceivesTheEvent_AndStopsEverything()
    {
        using var script = StartScript("--smoke");

        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(150));

        Assert.True(exitCode == 0, $"run.sh --smoke exited {exitCode}.\n{script.Output}\n{script.Errors}");
        var output = script.Output.ToString();
        Assert.Contains("\"status\":\"succeeded\"", output, StringComparison.Ordinal);
        Assert.Contains("\"subject\": \"generations/", output, StringComparison.Ordinal);
        Assert.Contains("run.sh: smoke run succeeded", output, StringComparison.Ordinal);
        await AssertNothingLeftRunningAsync();
    }

    [Fact]
    public async Task Interactive_PrintsTheUrls_AndTerminationStopsEverything()
    {
        using var script = StartScript();
        await script.Ready.WaitAsync(TimeSpan.FromSeconds(90));

        var output = script.Output.ToString();
        Assert.Contains($"API base URL   http://127.0.0.1:{_ports["FUNCTIONS_PORT"]}/api", output, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{_ports["EVENTGRID_RECEIVER_PORT"]}/api/events", output, StringComparison.Ordinal);
        Assert.Contains("/api/generations/{id}/view", output, StringComparison.Ordinal);
        Assert.Contains("text-to-image.json", output, StringComparison.Ordinal);
        using (var http = new HttpClient())
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{_ports["FUNCTIONS_PORT"]}/api/generations/0123456789abcdef0123456789abcdef");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }

        // SIGTERM takes the same path as Ctrl-C (both traps exit through the cleanup).
        using (var kill = Process.Start("kill", ["-TERM", script.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(143, exitCode);
        await AssertNothingLeftRunningAsync();
    }

    private ScriptRun StartScript(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("/bin/bash")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "run.sh"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, port) in _ports)
        {
            startInfo.Environment[name] = port;
        }

        // The test build already built every service in this configuration.
        startInfo.Environment["RUN_NO_BUILD"] = "1";
        startInfo.Environment["RUN_CONFIGURATION"] = typeof(RunScriptTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        startInfo.Environment["AZURITE_LOCATION"] = Path.Combine(_workDirectory, "azurite");
        startInfo.Environment["RUN_LOG_DIR"] = Path.Combine(_workDirectory, "logs");
        return new ScriptRun(Process.Start(startInfo)!);
    }

    private async Task AssertNothingLeftRunningAsync()
    {
        foreach (var (name, port) in _ports)
        {
            Assert.False(await FreePorts.IsAnsweringAsync(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None), $"{name} {port} still answers.");
        }

        var leftovers = Directory.EnumerateDirectories("/proc")
            .Select(directory => (Directory: directory, CommandLine: ReadCommandLine(directory)))
            .Where(process => process.CommandLine.Contains(_workDirectory, StringComparison.Ordinal)
                || _ports.Values.Any(port => process.CommandLine.Contains("127.0.0.1:" + port, StringComparison.Ordinal)))
            .Select(process => process.CommandLine)
            .ToList();
        Assert.Empty(leftovers);
    }

    private static string ReadCommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline")).Replace('\0', ' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private sealed class ScriptRun : IDisposable
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ScriptRun(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (Output)
                {
                    Output.AppendLine(e.Data);
                }

                if (e.Data == ReadyLine)
                {
                    _ready.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (Errors)
                    {
                        Errors.AppendLine(e.Data);
                    }
                }
            };
            process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"run.sh exited before it was ready.\n{Output}\n{Errors}"));
            process.EnableRaisingEvents = true;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }
        public StringBuilder Output { get; } = new();
        public StringBuilder Errors { get; } = new();
        public Task Ready => _ready.Task;

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            await Process.WaitForExitAsync().WaitAsync(timeout);
            return Process.ExitCode;
        }

        public void Dispose()
        {
            // Only reached with the script still running when an assertion failed: its EXIT trap stops the services.
            if (!Process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                Process.WaitForExit(30_000);
            }

            Process.Dispose();
        }
    }
}
