using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace Seedream.Http;

/// <summary>
/// The HTTP stacks of the client, shared by the DI registration and the standalone constructor so both behave the same.
/// </summary>
internal static class SeedreamHttpPipelines
{
    public const string ApiClientName = "Seedream";
    public const string DownloadClientName = "Seedream.Downloads";
    private const int DownloadRetries = 3;

    /// <summary>
    /// Generation POSTs are billed, so only two outcomes are retried: 429 (after Retry-After) and failures while
    /// connecting (nothing was sent). The pre-send retry also performs the base-URL failover: its OnRetry moves the
    /// request to the next base URL. Doing it in the retry strategy (rather than a separate handler) keeps one place
    /// that decides "this attempt never reached a server", so failover can never repeat a POST that may have.
    /// No timeout strategy: the request timeout is a CancellationTokenSource owned by the response so it also covers
    /// reading the body (the resilience defaults of 10 s / 30 s would cut minute-long generations).
    /// </summary>
    public static void ConfigureGeneration(ResiliencePipelineBuilder<HttpResponseMessage> builder, SeedreamClientOptions options, TimeProvider timeProvider)
    {
        if (options.MaxRateLimitRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "seedream-rate-limit",
                MaxRetryAttempts = options.MaxRateLimitRetries,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(RetryAfter(args.Outcome.Result, options.DefaultRetryAfter, timeProvider)),
                UseJitter = false,
            });
        }

        var baseUrls = options.BaseUrls.ToArray();
        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = "seedream-connect-failover",
            // Every base URL once, then the first one again.
            MaxRetryAttempts = Math.Max(1, baseUrls.Length),
            ShouldHandle = args => ValueTask.FromResult(FailureClassifier.IsPreSend(args.Outcome.Exception)),
            // Moving to another base URL needs no pause; coming back to one that just refused does.
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.AttemptNumber + 1 < baseUrls.Length ? TimeSpan.Zero : TimeSpan.FromMilliseconds(500)),
            OnRetry = args =>
            {
                if (args.Context.GetRequestMessage() is { } request)
                {
                    request.RequestUri = SeedreamEndpoints.Next(baseUrls, request.RequestUri);
                }

                return ValueTask.CompletedTask;
            },
            UseJitter = false,
        });
    }

    /// <summary>
    /// Result downloads are GETs of presigned URLs: safe to repeat on transient failures (5xx, 408, 429, network) with
    /// backoff; never when the download guard refused the target. The whole download, body included, is bounded by
    /// <see cref="SeedreamClientOptions.DownloadTimeout"/> in the client, so no attempt/total timeout here either.
    /// </summary>
    public static void ConfigureDownloads(ResiliencePipelineBuilder<HttpResponseMessage> builder)
    {
        builder.AddRetry(new HttpRetryStrategyOptions
        {
            Name = "seedream-download-retry",
            MaxRetryAttempts = DownloadRetries,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(
                !FailureClassifier.IsBlockedByPolicy(args.Outcome.Exception)
                && (HttpClientResiliencePredicates.IsTransient(args.Outcome) || FailureClassifier.IsPreSend(args.Outcome.Exception))),
        });
    }

    public static SocketsHttpHandler CreateApiHandler(SeedreamClientOptions options) => new()
    {
        ConnectTimeout = options.ConnectTimeout,
        // A redirected POST would be re-sent by the handler; treat 3xx as an answer instead.
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>Primary handler for result downloads: every resolved address is checked when connecting, redirects are followed by the client with the same checks.</summary>
    public static SocketsHttpHandler CreateDownloadHandler(SeedreamClientOptions options)
    {
        var allowPrivateNetworks = options.Downloads.AllowPrivateNetworks;
        return new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = false,
            // Image bytes are counted and capped as they arrive; no transparent decompression in between.
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = (context, cancellationToken) => ConnectGuardedAsync(context.DnsEndPoint, allowPrivateNetworks, cancellationToken),
        };
    }

    public static HttpClient CreateApiClient(SeedreamClientOptions options, TimeProvider timeProvider)
    {
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        ConfigureGeneration(pipeline, options, timeProvider);
        return new HttpClient(new ResilienceHandler(pipeline.Build()) { InnerHandler = CreateApiHandler(options) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public static HttpClient CreateDownloadClient(SeedreamClientOptions options, TimeProvider timeProvider)
    {
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        ConfigureDownloads(pipeline);
        return new HttpClient(new ResilienceHandler(pipeline.Build()) { InnerHandler = CreateDownloadHandler(options) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    internal static TimeSpan RetryAfter(HttpResponseMessage? response, TimeSpan fallback, TimeProvider timeProvider)
    {
        var retryAfter = response?.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return fallback;
    }

    internal static async ValueTask<Stream> ConnectGuardedAsync(DnsEndPoint endPoint, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);

        if (!allowPrivateNetworks && addresses.FirstOrDefault(NetworkAddressPolicy.IsInternal) is { } refused)
        {
            throw DownloadGuard.Blocked($"the host '{endPoint.Host}' resolves to {refused}, a loopback, private, link-local or otherwise internal address");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
