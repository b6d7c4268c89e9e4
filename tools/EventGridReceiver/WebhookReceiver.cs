using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace EventGridReceiver;

/// <summary>One callback as it arrived: its Standard Webhooks headers, body, and whether the signature verified.</summary>
/// <param name="Verified">Checked with the NuGet <c>StandardWebhooks</c> package (not the pipeline's code), timestamp tolerance included.</param>
public sealed record ReceivedWebhook(string Path, string? WebhookId, string? Timestamp, string? Signature, string Body, bool Verified, string? VerifyError, int AnsweredStatus, DateTimeOffset ReceivedAt);

/// <summary>
/// A local callback receiver: <c>POST /webhooks/{name}</c> verifies each delivery with the NuGet <c>StandardWebhooks</c>
/// package, prints one line and keeps it; answers can be scripted (statuses, a delay, a redirect) for tests.
/// </summary>
public sealed class WebhookReceiver
{
    public const string Route = "/webhooks";

    /// <summary>The local runs' signing secret (local.settings.json <c>Webhooks__SigningSecrets__0</c>); never used in Azure.</summary>
    public const string LocalSecret = "whsec_c2VlZHJlYW0tbG9jYWwtd2ViaG9vay1zZWNyZXQ=";
    private const int MaxBodyBytes = 1024 * 1024;

    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentQueue<int> _answers = new();
    private readonly StandardWebhook? _verifier;
    private readonly object _signal = new();

    /// <param name="secret">The <c>whsec_</c> secret deliveries are verified with; null: nothing verifies.</param>
    public WebhookReceiver(string? secret) => _verifier = string.IsNullOrEmpty(secret) ? null : new StandardWebhook(secret);

    /// <summary>How long each delivery is held before it is answered.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>When set, every delivery is answered <c>302 Found</c> to this URL.</summary>
    public Uri? RedirectTo { get; set; }

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>The next deliveries are answered with these statuses, in order; then 200.</summary>
    public void AnswerNext(params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var status in statuses)
        {
            _answers.Enqueue(status);
        }
    }

    /// <summary>Waits until <paramref name="count"/> deliveries match; the matches so far when the timeout passes first.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<ReceivedWebhook, bool> predicate, int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var matches = _received.Where(predicate).ToList();
            if (matches.Count >= count || DateTime.UtcNow > until)
            {
                return matches;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public void Map(IEndpointRouteBuilder endpoints, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(log);
        endpoints.MapPost(Route + "/{**name}", async (HttpContext context) =>
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = MaxBodyBytes;
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            string? error = null;
            try
            {
                if (_verifier is null)
                {
                    error = "no secret configured (Receiver:WebhookSecret)";
                }
                else
                {
                    _verifier.Verify(body, context.Request.Headers);
                }
            }
            catch (WebhookVerificationException e)
            {
                error = e.Message;
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, context.RequestAborted);
            }

            var status = RedirectTo is not null ? StatusCodes.Status302Found : _answers.TryDequeue(out var scripted) ? scripted : StatusCodes.Status200OK;
            var headers = context.Request.Headers;
            var received = new ReceivedWebhook(context.Request.Path, headers["webhook-id"].FirstOrDefault(), headers["webhook-timestamp"].FirstOrDefault(),
                headers["webhook-signature"].FirstOrDefault(), body, error is null, error, status, DateTimeOffset.UtcNow);
            _received.Enqueue(received);
            lock (_signal)
            {
                log.WriteLine($"webhook {received.Path} id={received.WebhookId} signature={(error is null ? "verified" : "NOT VERIFIED: " + error)} -> {status}");
            }

            if (RedirectTo is { } target)
            {
                context.Response.Headers.Location = target.ToString();
            }

            return Results.StatusCode(status);
        });
        endpoints.MapGet(Route, () => Results.Json(Received));
        endpoints.MapDelete(Route, () =>
        {
            _received.Clear();
            return Results.NoContent();
        });
    }
}

/// <summary>An in-process callback receiver on 127.0.0.1 (tests, benchmarks); stop and start it on the same port to play an outage.</summary>
public sealed class WebhookReceiverServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiverServer(WebApplication app, WebhookReceiver receiver, Uri baseAddress)
    {
        _app = app;
        Receiver = receiver;
        BaseAddress = baseAddress;
    }

    public WebhookReceiver Receiver { get; }

    public Uri BaseAddress { get; }

    /// <summary>A callback URL on this receiver: <c>http://127.0.0.1:&lt;port&gt;/webhooks/{name}</c>.</summary>
    public Uri UrlFor(string name) => new(BaseAddress, $"webhooks/{name}");

    /// <param name="receiver">Keep deliveries across a restart by passing the previous server's receiver.</param>
    public static async Task<WebhookReceiverServer> StartAsync(string? secret, int port = 0, WebhookReceiver? receiver = null, TextWriter? log = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(WebhookReceiverServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        receiver ??= new WebhookReceiver(secret);
        receiver.Map(app, log ?? TextWriter.Null);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new WebhookReceiverServer(app, receiver, new Uri(app.Urls.First().TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
