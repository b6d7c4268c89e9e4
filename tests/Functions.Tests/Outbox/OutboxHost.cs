using System.Text.Json.Nodes;
using Azure;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using EventGridReceiver;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Seedream.Functions.Tests.Outbox;

/// <summary>
/// The pipeline composed as Program.cs composes it (<c>AddSeedreamPipeline</c>), with three things an outbox test must
/// control: its own Event Grid topic (to inject faults), a publisher that gives up after <see cref="PublishTimeout"/>
/// and leaves retrying to the queue, and the clock (claims and leases run out when the test says so).
/// Tests see only what a host and an operator see: queue deliveries, the job record in the jobs container, the events
/// the topic received, the generation requests the emulator received.
/// </summary>
internal sealed class OutboxHost : IAsyncDisposable
{
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(1);

    private readonly PipelineFixture _fixture;
    private readonly ServiceProvider _services;
    private readonly BlobContainerClient _jobs;
    private readonly int _generationsAtStart;

    private OutboxHost(PipelineFixture fixture, EventGridReceiverServer topic)
    {
        _fixture = fixture;
        Topic = topic;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var queueName = $"outbox-{suffix}";
        var jobsContainer = $"outbox-jobs-{suffix}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = fixture.Azurite.ConnectionString,
            ["GenerationRequestsQueue"] = queueName,
            ["ImagesContainer"] = $"outbox-images-{suffix}",
            ["JobsContainer"] = jobsContainer,
            ["Seedream:BaseUrls:0"] = fixture.Emulator.GatewayBaseUrl.ToString(),
            ["Seedream:ApiKey"] = fixture.Emulator.ApiKey,
            ["Seedream:Downloads:AllowPrivateNetworks"] = "true",
            ["Seedream:Downloads:AllowHttp"] = "true",
            ["Seedream:MaxRateLimitRetries"] = "0",
            ["EventGrid:TopicEndpoint"] = topic.TopicEndpoint.ToString(),
            ["EventGrid:TopicKey"] = topic.Key,
        }).Build();

        var publisherOptions = new EventGridPublisherClientOptions();
        publisherOptions.Retry.MaxRetries = 0;
        publisherOptions.Retry.NetworkTimeout = PublishTimeout;
        Publisher = new EventGridPublisherClient(topic.TopicEndpoint, new AzureKeyCredential(topic.Key), publisherOptions);

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton(Publisher);
        services.AddSeedreamPipeline(configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        _jobs = fixture.Azurite.CreateBlobServiceClient().GetBlobContainerClient(jobsContainer);
        Queue = fixture.Azurite.CreateQueueServiceClient().GetQueueClient(queueName);
        _generationsAtStart = GenerationRequests();
    }

    public EventGridReceiverServer Topic { get; }

    public ManualClock Clock { get; } = new();

    public EventGridPublisherClient Publisher { get; }

    /// <summary>The work queue, where a delivery that finds the job busy schedules its next look.</summary>
    public QueueClient Queue { get; }

    /// <summary>Generation POSTs the emulator received since this host started.</summary>
    public int Generations => GenerationRequests() - _generationsAtStart;

    public static async Task<OutboxHost> StartAsync(PipelineFixture fixture)
    {
        var topic = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null);
        var host = new OutboxHost(fixture, topic);
        // The overrides must be what the pipeline uses, or these tests would silently test the defaults.
        Assert.Same(host.Publisher, host._services.GetRequiredService<EventGridPublisherClient>());
        Assert.Same(host.Clock, host._services.GetRequiredService<TimeProvider>());
        return host;
    }

    /// <summary>A producer's queue message for a small one-image job with a known id.</summary>
    public static (string Id, string Message) NewJob(string prompt)
    {
        var id = $"outbox-{Guid.NewGuid():N}";
        var request = JsonNode.Parse(TestRequests.Create(prompt))!.AsObject();
        request["id"] = id;
        return (id, request.ToJsonString());
    }

    /// <summary>One delivery of <paramref name="message"/> to the work-queue function, as the host makes it.</summary>
    public Task DeliverAsync(string message, long dequeueCount = 1, CancellationToken cancellationToken = default) =>
        QueueFunctionInvoker.InvokeAsync(ActivatorUtilities.CreateInstance<ProcessGenerationRequest>(_services), QueueFunctionInvoker.Message(message, dequeueCount), cancellationToken);

    /// <summary>One delivery of <paramref name="message"/> to the poison handler, as <see cref="PoisonQueueDrain"/> makes it.</summary>
    public Task DeliverPoisonAsync(string message, CancellationToken cancellationToken = default) =>
        ActivatorUtilities.CreateInstance<ProcessPoisonGenerationRequest>(_services).RunAsync(QueueFunctionInvoker.Message(message), cancellationToken);

    /// <summary>
    /// Delivers <paramref name="message"/> until a delivery succeeds, as the host does with a failing message, and after
    /// <see cref="PipelineHarness.MaxDequeueCount"/> failures hands it to the poison function. Returns the deliveries made.
    /// </summary>
    public async Task<int> DeliverUntilHandledAsync(string message)
    {
        for (var delivery = 1; delivery <= PipelineHarness.MaxDequeueCount; delivery++)
        {
            try
            {
                await DeliverAsync(message, delivery);
                return delivery;
            }
            catch (Exception) when (delivery < PipelineHarness.MaxDequeueCount)
            {
            }
            catch (Exception)
            {
                await DeliverPoisonAsync(message);
                return delivery;
            }
        }

        throw new InvalidOperationException("Unreachable.");
    }

    /// <summary>The terminal events the topic received for the job.</summary>
    public IReadOnlyList<CloudEvent> EventsFor(string jobId) =>
        Topic.Events.Where(e => e.Subject == $"generations/{jobId}" && e.Type.StartsWith("Seedream.ImageSeries.", StringComparison.Ordinal)).ToList();

    /// <summary>Messages on the work queue, visible or not (a deferred look counts).</summary>
    public async Task<int> QueuedMessagesAsync() =>
        (await Queue.ExistsAsync()).Value ? (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;

    /// <summary>The job record exactly as stored (blob <c>{id}.json</c> in the jobs container).</summary>
    public async Task<JsonObject> ReadRecordAsync(string jobId) =>
        JsonNode.Parse((await _jobs.GetBlobClient($"{jobId}.json").DownloadContentAsync()).Value.Content.ToString())!.AsObject();

    /// <summary>Changes the stored record the way a worker would (If-Match on the version read).</summary>
    public async Task ChangeRecordAsync(string jobId, Action<JsonObject> change)
    {
        var blob = _jobs.GetBlobClient($"{jobId}.json");
        var content = (await blob.DownloadContentAsync()).Value;
        var record = JsonNode.Parse(content.Content.ToString())!.AsObject();
        change(record);
        await blob.UploadAsync(BinaryData.FromString(record.ToJsonString()), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = content.Details.ETag },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Topic.DisposeAsync();
    }

    private int GenerationRequests() =>
        _fixture.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal));
}

/// <summary>A clock the test moves: leases and publish claims expire when it says so, not after real minutes.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
