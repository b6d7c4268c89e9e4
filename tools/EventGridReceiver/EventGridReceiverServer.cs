using Azure.Messaging;

namespace EventGridReceiver;

/// <summary>An in-process local Event Grid topic on 127.0.0.1 (tests, benchmarks).</summary>
public sealed class EventGridReceiverServer : IAsyncDisposable
{
    public const string DefaultKey = "local-eventgrid-key";

    private readonly WebApplication _app;
    private readonly ReceivedEvents _events;

    private EventGridReceiverServer(WebApplication app, ReceivedEvents events, PublishFaults faults, string key, Uri baseAddress)
    {
        _app = app;
        _events = events;
        Faults = faults;
        Key = key;
        BaseAddress = baseAddress;
        TopicEndpoint = new Uri(baseAddress, EventGridReceiverEndpoints.Route.TrimStart('/'));
    }

    /// <summary>For example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;/api/events</c>: the endpoint to give EventGridPublisherClient.</summary>
    public Uri TopicEndpoint { get; }

    /// <summary>The key expected in the <c>aeg-sas-key</c> header (AzureKeyCredential).</summary>
    public string Key { get; }

    /// <summary>Faults for the next publish requests, and how many publish requests arrived (<see cref="PublishFaults.Attempts"/>).</summary>
    public PublishFaults Faults { get; }

    /// <summary>The events received so far, in arrival order.</summary>
    public IReadOnlyList<CloudEvent> Events => _events.Snapshot();

    /// <param name="eventLog">Where one line per event is written; the console when null.</param>
    public static async Task<EventGridReceiverServer> StartAsync(
        string key = DefaultKey, int port = 0, TextWriter? eventLog = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EventGridReceiverServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

        var events = new ReceivedEvents();
        var faults = new PublishFaults();
        var app = builder.Build();
        app.MapEventGridReceiver(events, faults, key, eventLog ?? Console.Out);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Urls.First();
        return new EventGridReceiverServer(app, events, faults, key, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <inheritdoc cref="ReceivedEvents.WaitForAsync"/>
    public Task<IReadOnlyList<CloudEvent>> WaitForEventsAsync(
        Func<CloudEvent, bool> predicate, int count = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _events.WaitForAsync(predicate, count, timeout ?? TimeSpan.FromSeconds(30), cancellationToken);

    public void Clear() => _events.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
