using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seedream.Http;
using Seedream.Streaming;

namespace Seedream;

/// <summary>
/// Typed client for the Seedream images API (Ark <c>/api/v3</c> and OpenAI-compatible gateways <c>/v1</c>).
/// Thread-safe. A generation is billed, so a POST is repeated only on 429 and on failures before it was sent.
/// </summary>
/// <remarks>
/// A client created from <see cref="SeedreamClientOptions"/> owns its HTTP handlers: dispose it (or keep one for the
/// application's lifetime). A client built on HttpClients from IHttpClientFactory (the DI registration) owns nothing.
/// </remarks>
public class SeedreamClient : IDisposable
{
    private readonly HttpClient _apiClient = null!;
    private readonly HttpClient _downloadClient = null!;
    private readonly SeedreamClientOptions _options = null!;
    private readonly ILogger _logger = NullLogger.Instance;
    private readonly TimeProvider _timeProvider = TimeProvider.System;
    private readonly bool _ownsHttpClients;
    private int _disposed;

    /// <summary>A model list is a small document: a gateway that takes longer is not answering.</summary>
    private static readonly TimeSpan ModelListTimeout = TimeSpan.FromSeconds(60);
    private const int MaxModelListBytes = 8 * 1024 * 1024;

    /// <summary>For mocking frameworks.</summary>
    protected SeedreamClient()
    {
    }

    /// <summary>A client that owns its HTTP stack (same resilience rules and download guards as the DI registration); dispose it.</summary>
    /// <param name="options">The settings; copied and validated.</param>
    /// <exception cref="ArgumentException">The options are not usable (every problem is named).</exception>
    public SeedreamClient(SeedreamClientOptions options)
        : this(ValidatedCopy(options), TimeProvider.System)
    {
    }

    /// <summary>The DI path: <paramref name="apiClient"/> and <paramref name="downloadClient"/> come from IHttpClientFactory ("Seedream", "Seedream.Downloads").</summary>
    /// <param name="apiClient">The client for API calls (not disposed by this client).</param>
    /// <param name="downloadClient">The client for result downloads (not disposed by this client).</param>
    /// <param name="options">The settings; copied and validated.</param>
    public SeedreamClient(HttpClient apiClient, HttpClient downloadClient, SeedreamClientOptions options)
        : this(apiClient, downloadClient, options, logger: null)
    {
    }

    /// <summary>The DI path, with a logger.</summary>
    /// <param name="apiClient">The client for API calls (not disposed by this client).</param>
    /// <param name="downloadClient">The client for result downloads (not disposed by this client).</param>
    /// <param name="options">The settings; copied and validated.</param>
    /// <param name="logger">Debug lines per call; null for none.</param>
    public SeedreamClient(HttpClient apiClient, HttpClient downloadClient, SeedreamClientOptions options, ILogger<SeedreamClient>? logger)
    {
        ArgumentNullException.ThrowIfNull(apiClient);
        ArgumentNullException.ThrowIfNull(downloadClient);
        _options = ValidatedCopy(options);
        _apiClient = apiClient;
        _downloadClient = downloadClient;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    private SeedreamClient(SeedreamClientOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _timeProvider = timeProvider;
        _apiClient = SeedreamHttpPipelines.CreateApiClient(options, _timeProvider);
        _downloadClient = SeedreamHttpPipelines.CreateDownloadClient(options, _timeProvider);
        _ownsHttpClients = true;
    }

    /// <summary>Releases the HTTP handlers when this client created them; responses still being read fail.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the HTTP handlers this client owns.</summary>
    /// <param name="disposing">False when called from a finalizer.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _ownsHttpClients && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _apiClient.Dispose();
            _downloadClient.Dispose();
        }
    }

    /// <summary>
    /// Validates the request (throws <see cref="SeedreamException"/> with status 400 and no network call when it cannot
    /// succeed), POSTs it once and returns as soon as the response headers arrive. Works for stream=false (JSON) and
    /// stream=true (SSE). Retries only on 429 (after Retry-After) and on connection failures before the request was
    /// sent, failing over to the next base URL.
    /// </summary>
    /// <param name="request">The request; validated before anything is sent.</param>
    /// <param name="cancellationToken">Cancels the call and, later, reading the response body.</param>
    /// <returns>The response, to be read with <see cref="ImageGenerationResponse.ReadImagesAsync"/> and disposed.</returns>
    /// <exception cref="SeedreamException">The request is invalid (status 400, nothing sent), the provider answered with an error, or the call failed or timed out.</exception>
    public virtual async Task<ImageGenerationResponse> GenerateImagesAsync(ImageGenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ImageGenerationRequestValidator.ThrowIfInvalid(request);

        var endpoint = SeedreamEndpoints.Generations(_options.BaseUrls[0]);
        var tags = SeedreamInstrumentation.Tags(SeedreamInstrumentation.GenerateOperation, request.Model, endpoint);
        var started = Stopwatch.GetTimestamp();
        var activity = SeedreamInstrumentation.StartGeneration(request, endpoint, _options.EnableSensitiveTelemetryData);
        try
        {
            return await SendGenerationAsync(request, endpoint, new GenerationTelemetry(activity, tags, started), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SeedreamInstrumentation.RecordFailure(activity, tags, started, ex);
            throw;
        }
    }

    private async Task<ImageGenerationResponse> SendGenerationAsync(ImageGenerationRequest request, Uri endpoint, GenerationTelemetry telemetry, CancellationToken cancellationToken)
    {
        var clientRequestId = ClientRequestId.Create(_timeProvider);
        using var message = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new ByteArrayContent(request.ToUtf8Json()) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        message.Headers.TryAddWithoutValidation(ClientRequestId.HeaderName, clientRequestId);
        message.Headers.Accept.ParseAdd(request.IsStreaming ? "text/event-stream" : "application/json");

        // Lives with the response: the timeout keeps running while the body is read (HttpClient.Timeout would not).
        var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lifetime.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage? response = null;
        BodyReader? reader = null;
        var handedOver = false;
        try
        {
            _logger.LogDebug("Seedream generation {ClientRequestId}: POST {Endpoint} model {Model}, stream {Stream}", clientRequestId, message.RequestUri, request.Model, request.IsStreaming);
            try
            {
                response = await _apiClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (FailureClassifier.IsPreSend(ex) && !lifetime.IsCancellationRequested))
            {
                var preSend = FailureClassifier.IsPreSend(ex);
                throw new SeedreamException(
                    preSend
                        ? $"Could not connect to any Seedream base URL ({string.Join(", ", _options.BaseUrls)}): {ex.Message}. The request was not sent."
                        : $"The connection to {message.RequestUri?.GetLeftPart(UriPartial.Authority)} failed after the request may have been sent: {ex.Message}. It may have been billed; it is not repeated automatically.",
                    errorCode: SeedreamException.NetworkErrorCode, isTransient: true, mayHaveReachedServer: !preSend, innerException: ex);
            }

            var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
            _logger.LogDebug("Seedream generation {ClientRequestId}: HTTP {Status}, request id {RequestId}", clientRequestId, (int)response.StatusCode, requestId);
            if (!response.IsSuccessStatusCode)
            {
                throw await SeedreamErrorParser.ReadAsync(response, _options.ApiKey, mayHaveReachedServer: true, "The Seedream generation request", lifetime.Token).ConfigureAwait(false);
            }

            reader = new BodyReader(await response.Content.ReadAsStreamAsync(lifetime.Token).ConfigureAwait(false), lifetime.Token, cancellationToken);

            // SSE or one JSON document: decided by the body's first byte, not only the Content-Type.
            var scanner = new JsonStreamScanner(reader);
            var first = await scanner.PeekSignificantAsync(lifetime.Token, skipSeparators: false).ConfigureAwait(false);
            var isStreaming = first >= 0 ? first != '{' : IsEventStream(response);

            var result = new ImageGenerationResponse(response, reader, isStreaming, lifetime, this, DefaultOutputFormat(request),
                _options.Downloads.MaxImageBytes, clientRequestId, _options.ApiKey, telemetry);
            handedOver = true;
            return result;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SeedreamException(
                $"The Seedream generation request timed out after {_options.RequestTimeout} (Seedream:RequestTimeout). It may have been billed; it is not repeated automatically.",
                errorCode: SeedreamException.TimeoutCode, isTransient: true, mayHaveReachedServer: true, innerException: ex);
        }
        finally
        {
            if (!handedOver)
            {
                reader?.Dispose();
                response?.Dispose();
                lifetime.Dispose();
            }
        }
    }

    /// <summary>
    /// Lists the models the provider offers to this key: <c>GET {base}/models</c> on the first base URL (OpenAI-compatible
    /// gateways: <c>/v1/models</c>; Ark: <c>/api/v3/models</c>). The provider's documentation advises checking model ids
    /// this way before production calls. Free of charge, so 429 and connection failures are retried like any request.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The models in the provider's order.</returns>
    /// <exception cref="SeedreamException">The provider answered with an error, or the list is not the expected shape.</exception>
    public virtual async Task<IReadOnlyList<SeedreamModelInfo>> GetModelsAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = SeedreamEndpoints.Models(_options.BaseUrls[0]);
        var tags = SeedreamInstrumentation.Tags(SeedreamInstrumentation.ListModelsOperation, requestModel: null, endpoint);
        var started = Stopwatch.GetTimestamp();
        var activity = SeedreamInstrumentation.Source.StartActivity(SeedreamInstrumentation.ListModelsOperation, ActivityKind.Client, parentContext: default, tags);
        try
        {
            var models = await ListModelsAsync(endpoint, cancellationToken).ConfigureAwait(false);
            SeedreamInstrumentation.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            activity?.SetTag("seedream.response.models", models.Count);
            activity?.Dispose();
            return models;
        }
        catch (Exception ex)
        {
            SeedreamInstrumentation.RecordFailure(activity, tags, started, ex);
            throw;
        }
    }

    private async Task<IReadOnlyList<SeedreamModelInfo>> ListModelsAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, endpoint);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        message.Headers.Accept.ParseAdd("application/json");
        message.Headers.TryAddWithoutValidation(ClientRequestId.HeaderName, ClientRequestId.Create(_timeProvider));

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timeout = _options.RequestTimeout < ModelListTimeout ? _options.RequestTimeout : ModelListTimeout;
        lifetime.CancelAfter(timeout);
        try
        {
            HttpResponseMessage response;
            try
            {
                response = await _apiClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (FailureClassifier.IsPreSend(ex) && !lifetime.IsCancellationRequested))
            {
                throw new SeedreamException($"Listing the models at {message.RequestUri?.GetLeftPart(UriPartial.Path)} failed: {ex.Message}",
                    errorCode: SeedreamException.NetworkErrorCode, isTransient: true, innerException: ex);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw await SeedreamErrorParser.ReadAsync(response, _options.ApiKey, mayHaveReachedServer: true, "Listing the Seedream models", lifetime.Token).ConfigureAwait(false);
                }

                var body = await ReadBoundedAsync(response, MaxModelListBytes, lifetime.Token).ConfigureAwait(false);
                return ModelListParser.Parse(body.Span);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SeedreamException($"Listing the Seedream models timed out after {timeout}.",
                errorCode: SeedreamException.TimeoutCode, isTransient: true, innerException: ex);
        }
    }

    /// <summary>
    /// Downloads a result URL through the guards: https only (unless allowed), no internal addresses (checked on the
    /// URL, on every resolved address when connecting, and on every redirect), the byte cap and the PNG/JPEG
    /// signature. Transient failures are retried. The returned stream must be disposed.
    /// </summary>
    /// <param name="url">The result URL.</param>
    /// <param name="cancellationToken">Cancels the download, body included.</param>
    /// <returns>The guarded image bytes; dispose the stream.</returns>
    /// <exception cref="SeedreamException">The URL is refused by the policy, the download failed or timed out, or the content is not a PNG/JPEG image within the byte cap.</exception>
    public virtual async Task<Stream> OpenImageDownloadAsync(Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        var policy = _options.Downloads;
        var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lifetime.CancelAfter(_options.DownloadTimeout);
        HttpResponseMessage? response = null;
        var handedOver = false;
        try
        {
            var target = url;
            for (var redirects = 0; ; redirects++)
            {
                DownloadGuard.CheckUrl(target, policy);
                using var request = new HttpRequestMessage(HttpMethod.Get, target);
                try
                {
                    response = await _downloadClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, lifetime.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException ex) when (FailureClassifier.IsBlockedByPolicy(ex))
                {
                    throw FindBlocked(ex);
                }
                catch (Exception ex) when (ex is HttpRequestException || (FailureClassifier.IsPreSend(ex) && !lifetime.IsCancellationRequested))
                {
                    throw new SeedreamException($"Downloading {Describe(target)} failed: {ex.Message}",
                        errorCode: SeedreamException.NetworkErrorCode, isTransient: true, innerException: ex);
                }

                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    if (redirects == DownloadGuard.MaxRedirects)
                    {
                        throw DownloadGuard.Blocked($"more than {DownloadGuard.MaxRedirects} redirects from {Describe(url)}");
                    }

                    target = location.IsAbsoluteUri ? location : new Uri(target, location);
                    response.Dispose();
                    response = null;
                    continue;
                }

                break;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await SeedreamErrorParser.ReadAsync(response, _options.ApiKey, mayHaveReachedServer: false, $"Downloading {Describe(target)}", lifetime.Token).ConfigureAwait(false);
            }

            if (response.Content.Headers.ContentLength > policy.MaxImageBytes)
            {
                throw ImageContentGuardStream.TooLarge(policy.MaxImageBytes, $"The image at {Describe(target)} ({response.Content.Headers.ContentLength} bytes)");
            }

            var body = await response.Content.ReadAsStreamAsync(lifetime.Token).ConfigureAwait(false);
            var subject = $"The image at {Describe(target)}";
            var timeout = _options.DownloadTimeout;
            // Reads take the caller's token; the download timeout aborts them by disposing the response.
            var abortOnTimeout = lifetime.Token.Register(static state => ((HttpResponseMessage)state!).Dispose(), response);
            var guarded = new ImageContentGuardStream(body, policy.MaxImageBytes, subject,
                failure => TranslateDownloadFailure(failure, subject, timeout, lifetime.Token, cancellationToken),
                abortOnTimeout, response, lifetime);
            handedOver = true;
            return guarded;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SeedreamException($"Downloading {Describe(url)} timed out after {_options.DownloadTimeout} (Seedream:DownloadTimeout).",
                errorCode: SeedreamException.TimeoutCode, isTransient: true, innerException: ex);
        }
        finally
        {
            if (!handedOver)
            {
                response?.Dispose();
                lifetime.Dispose();
            }
        }
    }

    /// <summary>Describes the client without the API key.</summary>
    public override string ToString() => $"SeedreamClient {{ {_options} }}";

    private static Exception? TranslateDownloadFailure(Exception failure, string subject, TimeSpan timeout, CancellationToken lifetimeToken, CancellationToken callerToken) => failure switch
    {
        OperationCanceledException => null,
        _ when callerToken.IsCancellationRequested => new OperationCanceledException($"{subject}: the download was cancelled.", failure, callerToken),
        _ when lifetimeToken.IsCancellationRequested && !callerToken.IsCancellationRequested =>
            new SeedreamException($"{subject} timed out after {timeout} while reading (Seedream:DownloadTimeout).",
                errorCode: SeedreamException.TimeoutCode, isTransient: true, innerException: failure),
        IOException or HttpRequestException =>
            new SeedreamException($"{subject}: the download broke off: {failure.Message}",
                errorCode: SeedreamException.ResponseTruncatedCode, isTransient: true, innerException: failure),
        _ => null,
    };

    private static SeedreamException FindBlocked(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SeedreamException seedream)
            {
                return seedream;
            }
        }

        return DownloadGuard.Blocked(exception.Message);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new SeedreamException($"The Seedream model list is larger than {maxBytes} bytes; it was not read.",
                    errorCode: SeedreamException.InvalidResponseCode, isTransient: false);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    /// <summary>Scheme, host and path only: presigned query strings are credentials of a kind.</summary>
    private static string Describe(Uri url) => url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Path) : url.ToString();

    private static bool IsEventStream(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static string? DefaultOutputFormat(ImageGenerationRequest request) =>
        request.OutputFormat?.ToString() ?? SeedreamModelCapabilities.Find(request.Model)?.DefaultOutputFormat;

    private static SeedreamClientOptions ValidatedCopy(SeedreamClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Seedream client options: " + string.Join(" ", problems), nameof(options));
        }

        return options.Clone();
    }
}
