using System.Diagnostics;
using System.Globalization;
using System.Text;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>
/// The standalone emulator (tools/SeedreamEmulator, built with this harness) in its own process on a free loopback port,
/// so its memory stays out of the measured process.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    public const string ApiKey = "local-seedream-key";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EmulatorProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>e.g. http://127.0.0.1:41234/</summary>
    public Uri BaseAddress { get; }

    public Uri GatewayBaseUrl => new(BaseAddress, "v1");

    public int ProcessId => _process.Id;

    /// <summary>Starts an emulator with noise content (realistic sizes) unless <paramref name="settings"/> (<c>Emulator__*</c> names without the prefix) say otherwise.</summary>
    public static async Task<EmulatorProcess> StartAsync(IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken)
    {
        var port = FreePorts.Take(1)[0];
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var environment = new Dictionary<string, string>
        {
            ["Emulator__NoiseContent"] = "true",
            ["Emulator__ApiKey"] = ApiKey,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment["Emulator__" + name] = value;
        }

        var startInfo = ChildProcess.Create("SeedreamEmulator.dll", ["--urls", baseAddress.GetLeftPart(UriPartial.Authority)], environment);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("The emulator did not start.");
        var emulator = new EmulatorProcess(process, baseAddress);
        process.OutputDataReceived += emulator.Capture;
        process.ErrorDataReceived += emulator.Capture;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await emulator.WaitUntilListeningAsync(port, cancellationToken).ConfigureAwait(false);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _process.Dispose();
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
                lock (_output)
                {
                    throw new InvalidOperationException($"The emulator exited with {_process.ExitCode} before listening: {_output}");
                }
            }

            await Task.Delay(50, timeout.Token).ConfigureAwait(false);
        }
    }
}
