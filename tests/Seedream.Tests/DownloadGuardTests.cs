using System.Net;
using Seedream.Http;

namespace Seedream.Tests;

/// <summary>Result URLs come from a third party: they must not reach internal addresses (SSRF) or hand over non-images.</summary>
public sealed class DownloadGuardTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Theory]
    [InlineData("169.254.169.254", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("::ffff:10.1.2.3", true)]
    [InlineData("64:ff9b::a00:1", true)]
    [InlineData("2002:a9fe:a9fe::1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2606:4700:4700::1111", false)]
    public void AddressPolicy(string address, bool isInternal) =>
        Assert.Equal(isInternal, NetworkAddressPolicy.IsInternal(IPAddress.Parse(address)));

    private SeedreamClient GuardedClient(bool allowHttp = true)
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.Downloads.AllowPrivateNetworks = false;
        options.Downloads.AllowHttp = allowHttp;
        return new SeedreamClient(options);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam")]
    [InlineData("http://10.0.0.1/image.png")]
    [InlineData("http://[::ffff:169.254.169.254]/x.png")]
    [InlineData("http://[fd00:ec2::254]/x.png")]
    public async Task InternalLiteralAddressesAreRefusedWithoutConnecting(string url)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SeedreamException>(() => GuardedClient().OpenImageDownloadAsync(new Uri(url)));

        Assert.Equal(SeedreamException.DownloadBlockedCode, error.ErrorCode);
        Assert.False(error.IsTransient);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task EmulatorResultUrlsAreRefusedWhenPrivateNetworksAreNotAllowed()
    {
        var allowed = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));
        await using var response = await allowed.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "p" });
        var url = Assert.Single(await TestSupport.ReadAllImagesAsync(response)).Url!;
        var viaHostName = new UriBuilder(url) { Host = "localhost" }.Uri;
        var guarded = GuardedClient();
        emulator.Server.ClearRequests();

        var literal = await Assert.ThrowsAsync<SeedreamException>(() => guarded.OpenImageDownloadAsync(url));
        var resolved = await Assert.ThrowsAsync<SeedreamException>(() => guarded.OpenImageDownloadAsync(viaHostName));

        Assert.Equal(SeedreamException.DownloadBlockedCode, literal.ErrorCode);
        Assert.Equal(SeedreamException.DownloadBlockedCode, resolved.ErrorCode);
        Assert.Contains("resolves to", resolved.Message);
        Assert.Empty(emulator.Server.Requests);

        await using var stream = await allowed.OpenImageDownloadAsync(viaHostName);
        Assert.Equal(0xFF, stream.ReadByte());
    }

    [Fact]
    public async Task PlainHttpIsRefusedUnlessAllowed()
    {
        var error = await Assert.ThrowsAsync<SeedreamException>(() => GuardedClient(allowHttp: false).OpenImageDownloadAsync(new Uri("http://images.example.com/a.png")));

        Assert.Equal(SeedreamException.DownloadBlockedCode, error.ErrorCode);
        Assert.Contains("https only", error.Message);
    }

    [Fact]
    public async Task RedirectsAreFollowedWithTheSameChecks()
    {
        var png = TestImages.FakePng(4, 4);
        await using var server = await CannedHttpServer.StartAsync(async context =>
        {
            switch (context.Request.Path.Value)
            {
                case "/image.png":
                    context.Response.ContentType = "image/png";
                    await context.Response.Body.WriteAsync(png);
                    break;
                case "/to-image":
                    context.Response.Redirect("/image.png");
                    break;
                case "/to-file":
                    context.Response.Redirect("file:///etc/passwd");
                    break;
                default:
                    context.Response.Redirect("/loop");
                    break;
            }
        });
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        await using (var stream = await client.OpenImageDownloadAsync(new Uri(server.BaseAddress, "to-image")))
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(png, copy.ToArray());
        }

        var toFile = await Assert.ThrowsAsync<SeedreamException>(() => client.OpenImageDownloadAsync(new Uri(server.BaseAddress, "to-file")));
        Assert.Equal(SeedreamException.DownloadBlockedCode, toFile.ErrorCode);
        var loop = await Assert.ThrowsAsync<SeedreamException>(() => client.OpenImageDownloadAsync(new Uri(server.BaseAddress, "loop")));
        Assert.Contains("redirects", loop.Message);
    }

    [Fact]
    public async Task TransientDownloadFailuresAreRetried()
    {
        var png = TestImages.FakePng(4, 4);
        var attempts = 0;
        await using var server = await CannedHttpServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref attempts) < 3)
            {
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.Body.WriteAsync(png);
        });
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        await using var stream = await client.OpenImageDownloadAsync(new Uri(server.BaseAddress, "flaky.png"));

        Assert.Equal(0x89, stream.ReadByte());
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task DownloadTimeoutCoversTheBody()
    {
        var png = TestImages.FakePng(4, 4);
        await using var server = await CannedHttpServer.StartAsync(async context =>
        {
            await context.Response.Body.WriteAsync(png);
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted).ContinueWith(_ => { });
        });
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        // Headers come at once and the body stalls for 10 s; the margin absorbs a cold start on a loaded machine.
        options.DownloadTimeout = TimeSpan.FromSeconds(3);
        var client = new SeedreamClient(options);

        await using var stream = await client.OpenImageDownloadAsync(new Uri(server.BaseAddress, "stalls.png"));
        var error = await Assert.ThrowsAsync<SeedreamException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(SeedreamException.TimeoutCode, error.ErrorCode);
        Assert.True(error.IsTransient);
    }
}
