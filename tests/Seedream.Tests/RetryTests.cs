using System.Diagnostics;

namespace Seedream.Tests;

/// <summary>A generation is billed: only 429 and failures before sending are repeated.</summary>
/// <remarks>
/// Each test counts the POSTs of its own prompt and, where it can, injects its fault through that prompt: the emulator
/// is shared by the class, and a POST cancelled by an earlier test (CallerCancellation runs first, against a cold
/// emulator) can be logged, or take a queued fault, after the next test has started.
/// </remarks>
public sealed class RetryTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    // xUnit makes one instance per test, so the marker is this test's own.
    private readonly string _prompt = EmulatorFixture.MarkedPrompt("a red kite");

    private ImageGenerationRequest Request(string? fault = null) =>
        new() { Model = SeedreamModels.Seedream45, Prompt = fault is null ? _prompt : $"{_prompt} [emulator-fault:{fault}]" };

    private SeedreamClient Client(Action<SeedreamClientOptions>? configure = null, params Uri[] baseUrls)
    {
        var options = TestSupport.Options(baseUrls.Length > 0 ? baseUrls : [emulator.Server.ArkBaseUrl]);
        configure?.Invoke(options);
        emulator.Server.ClearRequests();
        emulator.Server.Faults.Clear();
        return new SeedreamClient(options);
    }

    [Fact]
    public async Task ServerErrorAfterSendingIsNotRetried()
    {
        var client = Client();

        // The fault rides on the prompt: a re-sent POST would get it too, and no other request can take it.
        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request(fault: "internal-error")));

        Assert.Equal(500, error.Status);
        Assert.True(error.IsTransient);
        Assert.True(error.MayHaveReachedServer);
        Assert.Equal(1, emulator.GenerationPosts(_prompt));
    }

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task GatewayErrorsAfterSendingAreNotRetriedEvenWithRateLimitRetriesOn(int status)
    {
        var client = Client(options => options.MaxRateLimitRetries = 3);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request(fault: $"error;status={status}")));

        Assert.Equal(status, error.Status);
        Assert.True(error.MayHaveReachedServer);
        Assert.Equal(1, emulator.GenerationPosts(_prompt));
    }

    [Fact]
    public async Task RateLimitIsRetriedOnceRetryAfterHasPassed()
    {
        var client = Client();
        emulator.Server.Faults.Enqueue("rate-limit;retry-after=1");
        var stopwatch = Stopwatch.StartNew();

        await using var response = await client.GenerateImagesAsync(Request());
        Assert.Single(await TestSupport.ReadAllImagesAsync(response));

        var posts = emulator.GenerationRequests(_prompt);
        Assert.Equal([429, 200], posts.Select(p => p.ResponseStatus));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1), $"retried after {stopwatch.Elapsed}");
        Assert.True(posts[1].ReceivedAt - posts[0].ReceivedAt >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task RateLimitWithoutRetryAfterWaitsTheDefaultAndGivesUpAfterMaxRetries()
    {
        var client = Client(options =>
        {
            options.MaxRateLimitRetries = 2;
            options.DefaultRetryAfter = TimeSpan.FromMilliseconds(150);
        });
        emulator.Server.Faults.Enqueue("rate-limit", count: 3);
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request()));

        Assert.Equal(429, error.Status);
        Assert.Equal("ModelAccountIpmRateLimitExceeded", error.ErrorCode);
        Assert.True(error.IsTransient);
        Assert.Equal(3, emulator.GenerationPosts(_prompt));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task ConnectionRefusedMovesToTheNextBaseUrl()
    {
        var client = Client(baseUrls: [TestSupport.ClosedPortBaseUrl(), emulator.Server.GatewayBaseUrl]);

        await using var response = await client.GenerateImagesAsync(Request());
        Assert.Single(await TestSupport.ReadAllImagesAsync(response));

        Assert.Equal("/v1/images/generations", Assert.Single(emulator.GenerationRequests(_prompt)).Path);
    }

    [Fact]
    public async Task NoReachableBaseUrlIsAPreSendFailure()
    {
        var client = Client(baseUrls: [TestSupport.ClosedPortBaseUrl(), TestSupport.ClosedPortBaseUrl()]);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request()));

        Assert.Equal(0, error.Status);
        Assert.Equal(SeedreamException.NetworkErrorCode, error.ErrorCode);
        Assert.False(error.MayHaveReachedServer);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task ResetAfterTheRequestWasSentIsNotRetriedEvenOnAReusedConnection()
    {
        var client = Client(baseUrls: [emulator.Server.ArkBaseUrl, emulator.Server.GatewayBaseUrl]);
        await using (var warmUp = await client.GenerateImagesAsync(Request()))
        {
            await TestSupport.ReadAllImagesAsync(warmUp);
        }

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request(fault: "reset")));

        Assert.Equal(SeedreamException.NetworkErrorCode, error.ErrorCode);
        Assert.True(error.MayHaveReachedServer);
        var posts = emulator.GenerationRequests(_prompt);
        Assert.Equal(2, posts.Count);
        Assert.Equal(0, posts[^1].ResponseStatus);
    }

    [Fact]
    public async Task TimeoutCoversSlowHeadersAndIsNotRetried()
    {
        var client = Client(options => options.RequestTimeout = TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(Request(fault: "slow-headers;delay-ms=3000")));

        Assert.Equal(SeedreamException.TimeoutCode, error.ErrorCode);
        Assert.True(error.MayHaveReachedServer);
        Assert.Equal(1, emulator.GenerationPosts(_prompt));
    }

    [Fact]
    public async Task TimeoutKeepsRunningWhileTheBodyIsRead()
    {
        emulator.Server.Options.ImageDelay = TimeSpan.FromMilliseconds(1000);
        try
        {
            // The headers may take up to 5 s (they need 1 s: room for a loaded 2-core machine); the whole group needs 15 s,
            // so only a timeout that keeps running while the body is read ends the call.
            var client = Client(options => options.RequestTimeout = TimeSpan.FromSeconds(5));
            var request = new ImageGenerationRequest
            {
                Model = SeedreamModels.Seedream45,
                Prompt = "15 images of a kite",
                EnableStreaming = true,
                SequentialImageGeneration = "auto",
                SequentialImageGenerationOptions = new() { MaxImages = 15 },
            };

            // Headers come with the first image (1 s); the next ones would need 14 s more.
            await using var response = await client.GenerateImagesAsync(request);
            var error = await Assert.ThrowsAsync<SeedreamException>(() => TestSupport.ReadAllImagesAsync(response));

            Assert.Equal(SeedreamException.TimeoutCode, error.ErrorCode);
        }
        finally
        {
            emulator.Server.Options.ImageDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task CallerCancellationIsACancellationNotAnError()
    {
        emulator.Server.Options.ImageDelay = TimeSpan.FromSeconds(5);
        try
        {
            var client = Client();
            using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            var stopwatch = Stopwatch.StartNew();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GenerateImagesAsync(Request(), cancellation.Token));

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3));
        }
        finally
        {
            emulator.Server.Options.ImageDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task ConnectTimeoutMovesToTheNextBaseUrl()
    {
        // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
        using var saturated = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        saturated.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        saturated.Listen(0);
        var endPoint = (System.Net.IPEndPoint)saturated.LocalEndPoint!;
        var fillers = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(endPoint);
            }

            await Task.Delay(100);
            var client = Client(options => options.ConnectTimeout = TimeSpan.FromMilliseconds(300),
                new Uri($"http://127.0.0.1:{endPoint.Port}/api/v3"), emulator.Server.ArkBaseUrl);

            await using var response = await client.GenerateImagesAsync(Request());

            Assert.Single(await TestSupport.ReadAllImagesAsync(response));
            Assert.Equal(1, emulator.GenerationPosts(_prompt));
        }
        finally
        {
            fillers.ForEach(filler => filler.Dispose());
        }
    }
}
