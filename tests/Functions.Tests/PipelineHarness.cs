using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Storage;
using SeedreamEmulator;

namespace Seedream.Functions.Tests;

/// <summary>The thinnest stand-in for the Functions host: DI as Program.cs builds it, HTTP via DefaultHttpContext, a queue loop.</summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    public const int MaxDequeueCount = 5;

    private readonly PipelineFixture _fixture;
    private readonly ServiceProvider _services;

    /// <param name="configureServices">Registrations made before the app's own (which are TryAdd), e.g. a name resolver for the callback tests.</param>
    public PipelineHarness(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection>? configureServices = null)
    {
        _fixture = fixture;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = fixture.Azurite.ConnectionString,
            ["GenerationRequestsQueue"] = $"gen-{suffix}",
            ["ImagesContainer"] = $"images-{suffix}",
            ["JobsContainer"] = $"jobs-{suffix}",
            ["Seedream:BaseUrls:0"] = fixture.Emulator.GatewayBaseUrl.ToString(),
            ["Seedream:ApiKey"] = fixture.Emulator.ApiKey,
            ["Seedream:Downloads:AllowPrivateNetworks"] = "true",
            ["Seedream:Downloads:AllowHttp"] = "true",
            ["Seedream:MaxRateLimitRetries"] = "0",
            // A 429 waits outside the worker (tests/Functions.Tests/Pacing); pacers are tested on their own there.
            ["Pacing:Mode"] = "Deferral",
            ["Pacing:RetryDelay"] = "00:00:00.500",
            ["Pacing:MaxRetryDelay"] = "00:00:01",
            ["EventGrid:TopicEndpoint"] = fixture.EventGrid.TopicEndpoint.ToString(),
            ["EventGrid:TopicKey"] = fixture.EventGrid.Key,
            // Offline tests: the provider's examples name internet images; the intake's own tests turn probing on.
            ["Intake:ProbeReferenceUrls"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // null: not configured at all (the application's default applies).
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        Configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        configureServices?.Invoke(services);
        services.AddSeedreamPipeline(Configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Storage = _services.GetRequiredService<PipelineStorage>();
        Hooks = new PipelineObserver(Storage.Images.Uri);
    }

    public IConfiguration Configuration { get; }

    public IServiceProvider Services => _services;

    public PipelineStorage Storage { get; }

    public SeedreamEmulatorServer Emulator => _fixture.Emulator;

    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    /// <summary>The pipeline's telemetry as this harness's tests see it (crash points, stored images).</summary>
    public PipelineObserver Hooks { get; }

    public ValueTask DisposeAsync()
    {
        Hooks.Dispose();
        return _services.DisposeAsync();
    }

    /// <summary>POST /api/generations.</summary>
    public Task<HttpResult> SubmitAsync(string json, IReadOnlyDictionary<string, string>? headers = null) =>
        SubmitAsync(Encoding.UTF8.GetBytes(json), headers);

    public Task<HttpResult> SubmitAsync(byte[] body, IReadOnlyDictionary<string, string>? headers = null) =>
        InvokeHttpAsync("POST", "/api/generations", request => Create<SubmitGeneration>().RunAsync(request, CancellationToken.None), new MemoryStream(body), body.Length, headers);

    public Task<HttpResult> SubmitStreamAsync(Stream body, long? contentLength) =>
        InvokeHttpAsync("POST", "/api/generations", request => Create<SubmitGeneration>().RunAsync(request, CancellationToken.None), body, contentLength, null);

    /// <summary>GET /api/generations/{id}.</summary>
    public Task<HttpResult> GetJobAsync(string id) =>
        InvokeHttpAsync("GET", $"/api/generations/{id}", request => Create<GetGeneration>().RunAsync(request, id, CancellationToken.None), null, null, null);

    /// <summary>GET /api/generations/{id}/images/{index}.</summary>
    public Task<HttpResult> GetImageAsync(string id, int index) =>
        InvokeHttpAsync("GET", $"/api/generations/{id}/images/{index}", request => Create<GetGenerationImage>().RunAsync(request, id, index, CancellationToken.None), null, null, null);

    /// <summary>POST /api/generations/{id}/cancel.</summary>
    public Task<HttpResult> CancelAsync(string id) =>
        InvokeHttpAsync("POST", $"/api/generations/{id}/cancel", request => Create<CancelGeneration>().RunAsync(request, id, CancellationToken.None), null, null, null);

    /// <summary>POST /api/generations/{id}/webhook/redeliver.</summary>
    public Task<HttpResult> RedeliverWebhookAsync(string id) =>
        InvokeHttpAsync("POST", $"/api/generations/{id}/webhook/redeliver", request => Create<RedeliverWebhook>().RunAsync(request, id, CancellationToken.None), null, null, null);

    /// <summary>Submits over HTTP, runs the queue until it is empty and returns the job as the status API shows it.</summary>
    public async Task<JsonElement> SubmitAndRunAsync(string json)
    {
        var accepted = await SubmitAsync(json);
        Assert.True(accepted.Status == StatusCodes.Status202Accepted, accepted.Text);
        var id = accepted.Json.GetProperty("id").GetString()!;
        await RunQueuesAsync();
        return (await GetJobAsync(id)).Json;
    }

    /// <summary>
    /// Delivers queue messages to the queue functions the way the host does: delete on success, make visible again on
    /// failure, move to the poison queue after <see cref="MaxDequeueCount"/> attempts. Stops when nothing is visible.
    /// </summary>
    public async Task RunQueuesAsync(CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < 100; round++)
        {
            // The host hands over the insertion time too (a deadline that passed while the message waited expires its job).
            var handled = await DeliverAsync(Storage.GenerationRequests, (message, ct) => Create<ProcessGenerationRequest>().RunAsync(
                QueueFunctionExtensions.Message(message.Body, insertedOn: message.InsertedOn), ct), poison: Storage.GenerationRequestsPoison, cancellationToken);
            handled += await DeliverAsync(Storage.GenerationRequestsPoison, (message, ct) => Create<ProcessPoisonGenerationRequest>().RunAsync(message.Body.ToString(), ct), poison: null, cancellationToken);
            if (handled == 0)
            {
                return;
            }
        }

        throw new InvalidOperationException("The queues did not drain in 100 rounds.");
    }

    /// <summary>
    /// Runs the queues until job <paramref name="id"/> has ended, waiting for delayed messages (a job waiting for
    /// capacity); calls <paramref name="whileWaiting"/> with the job as the status API shows it between rounds.
    /// </summary>
    public async Task<JsonElement> RunUntilEndedAsync(string id, TimeSpan timeout, Action<JsonElement>? whileWaiting = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await RunQueuesAsync();
            var job = (await GetJobAsync(id)).Json;
            if (job.GetProperty("status").GetString() is not ("queued" or "running"))
            {
                return job;
            }

            whileWaiting?.Invoke(job);
            Assert.True(DateTime.UtcNow < deadline, $"Job {id} did not end within {timeout}: {job}");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Puts a message on the work queue exactly as a producer would (the app's client: base64).</summary>
    public async Task EnqueueRawAsync(string message)
    {
        await Storage.EnsureCreatedAsync(CancellationToken.None);
        await Storage.GenerationRequests.SendMessageAsync(message);
    }

    public IReadOnlyList<CloudEvent> EventsFor(string jobId) =>
        _fixture.EventGrid.Events.Where(e => e.Subject == $"generations/{jobId}").ToList();

    public int GenerationRequestCount() => _fixture.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal));

    public async Task<int> VisibleMessageCountAsync(QueueClient queue)
    {
        var peeked = await queue.PeekMessagesAsync(32);
        return peeked.Value.Length;
    }

    private static async Task<int> DeliverAsync(QueueClient queue, Func<QueueMessage, CancellationToken, Task> function, QueueClient? poison, CancellationToken cancellationToken)
    {
        if (!(await queue.ExistsAsync(cancellationToken)).Value)
        {
            return 0;
        }

        var messages = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5), cancellationToken)).Value;
        foreach (var message in messages)
        {
            try
            {
                await function(message, cancellationToken);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
            catch (Exception) when (poison is not null)
            {
                if (message.DequeueCount >= MaxDequeueCount)
                {
                    await poison.SendMessageAsync(message.Body.ToString(), cancellationToken);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
                }
            }
        }

        return messages.Length;
    }

    /// <summary>Calls an HTTP function with a request as the host builds it; <paramref name="path"/> may carry a query string.</summary>
    public async Task<HttpResult> InvokeHttpAsync(
        string method, string path, Func<HttpRequest, Task<IActionResult>> function, Stream? body, long? contentLength, IReadOnlyDictionary<string, string>? headers)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("pipeline.example");
        context.Request.Path = path.Split('?')[0];
        context.Request.QueryString = path.Contains('?', StringComparison.Ordinal) ? new QueryString(path[path.IndexOf('?', StringComparison.Ordinal)..]) : QueryString.Empty;
        if (body is not null)
        {
            context.Request.Body = body;
            context.Request.ContentLength = contentLength;
            context.Request.ContentType = "application/json";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        return await HostedFunction.ExecuteAsync(context, () => function(context.Request));
    }
}

public sealed record HttpResult(int Status, string? ContentType, IHeaderDictionary Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}
