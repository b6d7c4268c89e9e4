using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>The managed heap as the development host reports it at <c>/_devhost/memory</c>.</summary>
internal sealed record HostHeap(long GcHeapBytes, long GcCommittedBytes, bool ServerGc);

/// <summary>
/// The development host (tools/DevHost, built next to this harness) in its own process, so its resident memory is its
/// own: the repository's host.json with logging at Warning and the given <c>extensions.queues</c> overrides, app
/// settings passed as environment variables, and its diagnostics endpoint on.
/// </summary>
internal sealed class CapacityHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly string _scriptRoot;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private CapacityHostProcess(Process process, string scriptRoot, Uri baseAddress)
    {
        _process = process;
        _scriptRoot = scriptRoot;
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public HttpClient Http => _http;

    public static async Task<CapacityHostProcess> StartAsync(
        IReadOnlyDictionary<string, string> queueSettings, IReadOnlyDictionary<string, string> appSettings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var scriptRoot = Directory.CreateTempSubdirectory("seedream-capacity-host-").FullName;
        var hostJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "host.json"), cancellationToken).ConfigureAwait(false))!;
        hostJson["logging"]!["logLevel"] = new JsonObject { ["default"] = "Warning" };
        foreach (var (name, value) in queueSettings)
        {
            hostJson["extensions"]!["queues"]![name] = JsonValue.Create(value);
        }

        await File.WriteAllTextAsync(Path.Combine(scriptRoot, "host.json"), hostJson.ToJsonString(), cancellationToken).ConfigureAwait(false);

        var port = FreePorts.Take(1)[0];
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DevHost__Diagnostics"] = "true",
        };
        foreach (var (name, value) in appSettings)
        {
            variables[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var startInfo = ChildProcess.Create("Seedream.DevHost.dll", ["--urls", baseAddress.GetLeftPart(UriPartial.Authority)], variables);
        startInfo.WorkingDirectory = scriptRoot; // host.json is read from the current directory, as under ./run.sh.
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("The development host did not start.");
        var host = new CapacityHostProcess(process, scriptRoot, baseAddress);
        process.OutputDataReceived += host.Capture;
        process.ErrorDataReceived += host.Capture;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilListeningAsync(port, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public long WorkingSet => ProcessMemory.WorkingSetOf(_process.Id);

    public long PeakWorkingSet => ProcessMemory.PeakWorkingSetOf(_process.Id);

    public bool ResetPeak() => ProcessMemory.ResetPeakOf(_process.Id);

    public double CpuSeconds => ProcessCpu.TreeSeconds(_process.Id);

    public bool HasExited => _process.HasExited;

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

    public async Task<HostHeap> GetHeapAsync(CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri("_devhost/memory", UriKind.Relative), cancellationToken).ConfigureAwait(false));
        var root = document.RootElement;
        return new HostHeap(root.GetProperty("gcHeapBytes").GetInt64(), root.GetProperty("gcCommittedBytes").GetInt64(), root.GetProperty("serverGc").GetBoolean());
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Signalled; a slow reap must not fail the run.
        }

        _process.Dispose();
        Directory.Delete(_scriptRoot, recursive: true);
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

    private async Task WaitUntilListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_startTimeout);
        while (!await FreePorts.IsAnsweringAsync(port, timeout.Token).ConfigureAwait(false))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The development host exited with {_process.ExitCode} before listening: {Output}");
            }

            await Task.Delay(50, timeout.Token).ConfigureAwait(false);
        }
    }
}
