using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace SeedreamEmulator;

/// <summary>The emulator running inside the current process on a free loopback port (tests, benchmarks).</summary>
public sealed class SeedreamEmulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestLog _log;

    private SeedreamEmulatorServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        _log = app.Services.GetRequiredService<RequestLog>();
        BaseAddress = baseAddress;
        Options = app.Services.GetRequiredService<EmulatorOptions>();
        Faults = app.Services.GetRequiredService<FaultQueue>();
    }

    /// <summary>Root address with a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>OpenAI-style gateway base, <c>…/v1</c>.</summary>
    public Uri GatewayBaseUrl => new(BaseAddress, "v1");

    /// <summary>Ark base, <c>…/api/v3</c>.</summary>
    public Uri ArkBaseUrl => new(BaseAddress, "api/v3");

    public string ApiKey => Options.ApiKey;

    /// <summary>Settings; changes apply to the next requests.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>Faults for the next generation requests.</summary>
    public FaultQueue Faults { get; }

    /// <summary>Snapshot of the requests received so far (API key redacted, data-URI payloads elided).</summary>
    public IReadOnlyList<ReceivedRequest> Requests => _log.Snapshot();

    public static async Task<SeedreamEmulatorServer> StartAsync(Action<EmulatorOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var app = EmulatorApplication.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], configure);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new SeedreamEmulatorServer(app, new Uri(address.TrimEnd('/') + "/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void ClearRequests() => _log.Clear();

    /// <summary>Forgets the requests the rate limits counted, so the next ones start with the whole budget.</summary>
    public void ResetRateLimits() => _app.Services.GetRequiredService<RateLimiter>().Reset();

    /// <summary>A deterministic reference image served by this emulator (<c>GET /references/{name}.{format}</c>).</summary>
    public Uri ReferenceImageUrl(string name, int width = 1024, int height = 1024, string format = "png") =>
        new(BaseAddress, $"references/{Uri.EscapeDataString(name)}.{format}?w={width}&h={height}");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
