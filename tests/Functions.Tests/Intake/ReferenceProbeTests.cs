using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// https references are checked from their first bytes, fetched from a real loopback server that ignores Range and
/// would send 24 MB per image: the intake stops after <see cref="ImageHeader.HeaderBytes"/>, so 14 large references
/// are never in memory at once. Loopback is allowed here (Intake:AllowLoopbackReferences), as for local runs.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReferenceProbeTests(PipelineFixture fixture) : IAsyncLifetime
{
    private const long LargeBytes = 24L * 1024 * 1024;
    private static readonly Dictionary<string, string?> ProbeSettings = new()
    {
        ["Intake:ProbeReferenceUrls"] = "true",
        ["Intake:AllowLoopbackReferences"] = "true",
        ["Intake:ReferenceProbeTimeout"] = "00:00:03",
    };

    private WebApplication? _server;
    private long _bytesSent;

    private string Base => _server!.Urls.First();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapGet("/large/{width:int}/{height:int}/{name}", async (HttpContext context, int width, int height) =>
        {
            // A PNG header, then zeros: an image of 24 MB as far as anyone reading it can tell. Range is ignored on purpose.
            context.Response.ContentType = "image/png";
            context.Response.ContentLength = LargeBytes;
            var chunk = new byte[64 * 1024];
            BadInputCases.PngHeader(width, height).CopyTo(chunk, 0);
            try
            {
                for (long sent = 0; sent < LargeBytes; sent += chunk.Length)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    Interlocked.Add(ref _bytesSent, chunk.Length);
                    chunk.AsSpan(0, 33).Clear();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The reader hung up after the header: what this test wants.
            }
        });
        _server.MapGet("/text", () => Results.Text("not an image at all", "image/png"));
        _server.MapGet("/missing", () => Results.NotFound());
        _server.MapGet("/slow", async (CancellationToken token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), token);
            return Results.Ok();
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/large/2048/2048/ok.png", null)]
    [InlineData("/large/1/1/tiny.png", "image")]
    [InlineData("/large/7000/7000/huge.png", "image")]
    [InlineData("/large/4000/200/wide.png", "image")]
    [InlineData("/text", "image")]
    [InlineData("/missing", "image")]
    [InlineData("/slow", "image")]
    public async Task Https_reference_is_checked_from_its_first_bytes(string path, string? field)
    {
        var intake = IntakeKit.Intake(fixture, ProbeSettings);
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => r["image"] = Base.TrimEnd('/') + path));

        var result = await intake.ReadAsync(body, IntakeOrigin.Http, null, CancellationToken.None);

        if (field is null)
        {
            Assert.True(result.IsAccepted, result.Problems.Summary());
        }
        else
        {
            Assert.False(result.IsAccepted);
            IntakeKit.NamesEvery(result.Problems.ToDictionary(), [field], path);
        }
    }

    [Fact]
    public async Task Fourteen_large_references_are_checked_without_holding_them()
    {
        var intake = IntakeKit.Intake(fixture, ProbeSettings);
        var references = new JsonArray([.. Enumerable.Range(0, 14).Select(i => (JsonNode)$"{Base.TrimEnd('/')}/large/3000/2000/{i}.png")]);
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => { r["model"] = SeedreamModels.Seedream50Lite; r["size"] = "2K"; r["image"] = references; }));
        await intake.ReadAsync(body, IntakeOrigin.Http, null, CancellationToken.None); // warm-up: connections, JIT
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long peakHeap = heapBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(1);
            }
        });
        var stopwatch = Stopwatch.StartNew();

        var result = await intake.ReadAsync(body, IntakeOrigin.Http, null, CancellationToken.None);

        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(result.IsAccepted, result.Problems.Summary());
        Console.WriteLine($"14 x 24 MiB references: allocated {allocated / 1024.0 / 1024:F2} MiB, peak managed heap +{(peakHeap - heapBefore) / 1024.0 / 1024:F2} MiB, {stopwatch.ElapsedMilliseconds} ms");
        // 14 x 24 MiB = 336 MiB of references; the check allocates a small, bounded amount and reads a fraction.
        Assert.InRange(allocated, 0, 16L * 1024 * 1024);
        Assert.InRange(peakHeap - heapBefore, long.MinValue, 32L * 1024 * 1024);
    }

    [Fact]
    public async Task Without_the_loopback_setting_the_same_urls_are_refused_before_any_request()
    {
        var intake = IntakeKit.Intake(fixture, new Dictionary<string, string?> { ["Intake:ProbeReferenceUrls"] = "true" });
        Interlocked.Exchange(ref _bytesSent, 0);
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => r["image"] = Base.TrimEnd('/') + "/large/2048/2048/ok.png"));

        var result = await intake.ReadAsync(body, IntakeOrigin.Http, null, CancellationToken.None);

        Assert.False(result.IsAccepted);
        Assert.True(result.Problems.Has("image"));
        Assert.Equal(0, Interlocked.Read(ref _bytesSent));
    }
}
