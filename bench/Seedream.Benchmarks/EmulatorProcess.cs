using System.Diagnostics;
using System.Globalization;
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

    private readonly ServerProcess _server;

    private EmulatorProcess(ServerProcess server, Uri baseAddress)
    {
        _server = server;
        BaseAddress = baseAddress;
    }

    /// <summary>e.g. http://127.0.0.1:41234/</summary>
    public Uri BaseAddress { get; }

    public Uri GatewayBaseUrl => new(BaseAddress, "v1");

    public int ProcessId => _server.Process.Id;

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
        var server = await ServerProcess.StartAsync(startInfo, port, "emulator", s_startTimeout, cancellationToken).ConfigureAwait(false);
        return new EmulatorProcess(server, baseAddress);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
