using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
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

    private readonly ServerProcess _server;
    private readonly string _scriptRoot;
    private readonly HttpClient _http;

    private CapacityHostProcess(ServerProcess server, string scriptRoot, Uri baseAddress)
    {
        _server = server;
        _scriptRoot = scriptRoot;
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _server.Process.Id;

    public HttpClient Http => _http;

    public static async Task<CapacityHostProcess> StartAsync(
        IReadOnlyDictionary<string, string> queueSettings, IReadOnlyDictionary<string, string> appSettings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var scriptRoot = Directory.CreateTempSubdirectory("seedream-capacity-host-").FullName;
        await LocalStack.WriteHostJsonAsync(scriptRoot, queueSettings, cancellationToken).ConfigureAwait(false);

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
        try
        {
            var server = await ServerProcess.StartAsync(startInfo, port, "development host", s_startTimeout, cancellationToken).ConfigureAwait(false);
            return new CapacityHostProcess(server, scriptRoot, baseAddress);
        }
        catch
        {
            Directory.Delete(scriptRoot, recursive: true);
            throw;
        }
    }

    public long WorkingSet => ProcessMemory.WorkingSetOf(_server.Process.Id);

    public long PeakWorkingSet => ProcessMemory.PeakWorkingSetOf(_server.Process.Id);

    public bool ResetPeak() => ProcessMemory.ResetPeakOf(_server.Process.Id);

    public double CpuSeconds => ProcessCpu.TreeSeconds(_server.Process.Id);

    public bool HasExited => _server.Process.HasExited;

    public string Output => _server.Output;

    public async Task<HostHeap> GetHeapAsync(CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri("_devhost/memory", UriKind.Relative), cancellationToken).ConfigureAwait(false));
        var root = document.RootElement;
        return new HostHeap(root.GetProperty("gcHeapBytes").GetInt64(), root.GetProperty("gcCommittedBytes").GetInt64(), root.GetProperty("serverGc").GetBoolean());
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_scriptRoot, recursive: true);
    }
}
