using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Seedream.Tests;

/// <summary>A loopback Kestrel server answering every request with a handler: canned bytes over real HTTP.</summary>
internal sealed class CannedHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requestCount;

    private CannedHttpServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int RequestCount => Volatile.Read(ref _requestCount);

    public static async Task<CannedHttpServer> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        CannedHttpServer? server = null;
        app.Run(async context =>
        {
            Interlocked.Increment(ref server!._requestCount);
            await handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new CannedHttpServer(app, new Uri(address.TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Answers with <paramref name="body"/> written in <paramref name="chunkSize"/>-byte flushes (to cut tokens across reads).</summary>
    public static Task<CannedHttpServer> StartAsync(int status, string contentType, byte[] body, int chunkSize = 1 << 20) =>
        StartAsync(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.Headers["x-request-id"] = "021700000000000canned";
            for (var offset = 0; offset < body.Length; offset += chunkSize)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(chunkSize, body.Length - offset)));
                await context.Response.Body.FlushAsync();
            }
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
