using System.Net;
using System.Text;
using Azure;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using EventGridReceiver;

namespace Seedream.DevHost.Tests;

public sealed class EventGridReceiverTests : IAsyncLifetime
{
    private readonly StringWriter _eventLog = new();
    private EventGridReceiverServer _receiver = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _receiver = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Synchronized(_eventLog));

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task PublisherClient_CloudEventBatch_IsReceivedListedAndLogged()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential(_receiver.Key));
        var created = new CloudEvent("/seedream/pipeline", "Seedream.Generation.Completed", new { id = "abc", images = 2 }) { Subject = "generations/abc" };
        var failed = new CloudEvent("/seedream/pipeline", "Seedream.Generation.Failed", new { id = "def" }) { Subject = "generations/def" };

        await publisher.SendEventsAsync([created, failed]);

        var received = await _receiver.WaitForEventsAsync(e => e.Type.StartsWith("Seedream.", StringComparison.Ordinal), count: 2, TimeSpan.FromSeconds(5));
        Assert.Equal([created.Id, failed.Id], received.Select(e => e.Id));
        Assert.Equal("generations/abc", received[0].Subject);
        Assert.Equal(2, received[0].Data!.ToObjectFromJson<CompletedData>(System.Text.Json.JsonSerializerOptions.Web)!.Images);
        Assert.Contains($"event Seedream.Generation.Completed subject=generations/abc id={created.Id}", _eventLog.ToString(), StringComparison.Ordinal);

        using var listed = await _http.GetAsync(new Uri(_receiver.TopicEndpoint + "?type=Seedream.Generation.Failed"));
        var listedEvents = CloudEvent.ParseMany(BinaryData.FromString(await listed.Content.ReadAsStringAsync()));
        Assert.Equal([failed.Id], listedEvents.Select(e => e.Id));
    }

    [Fact]
    public async Task PublisherClient_SingleCloudEvent_IsReceived()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential(_receiver.Key));

        await publisher.SendEventAsync(new CloudEvent("/seedream/pipeline", "Single", BinaryData.FromString("{}"), "application/json"));

        var received = await _receiver.WaitForEventsAsync(e => e.Type == "Single", timeout: TimeSpan.FromSeconds(5));
        Assert.Single(received);
    }

    [Fact]
    public async Task PublisherClient_EventGridSchema_IsConvertedToCloudEvents()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential(_receiver.Key));

        await publisher.SendEventAsync(new EventGridEvent("images/1.png", "Legacy.Type", "1.0", new { ok = true }));

        var received = await _receiver.WaitForEventsAsync(e => e.Type == "Legacy.Type", timeout: TimeSpan.FromSeconds(5));
        Assert.Equal("images/1.png", received[0].Subject);
    }

    [Fact]
    public async Task PublisherClient_WrongKey_Gets401AndNothingIsStored()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential("not-the-key"));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            publisher.SendEventAsync(new CloudEvent("/test", "Rejected", new { })));

        Assert.Equal(401, error.Status);
        Assert.Empty(_receiver.Events);
    }

    [Fact]
    public async Task Post_WithoutKey_Is401()
    {
        using var content = new StringContent("[]", Encoding.UTF8, "application/cloudevents-batch+json");

        using var response = await _http.PostAsync(_receiver.TopicEndpoint, content);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_InvalidJson_Is400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _receiver.TopicEndpoint)
        {
            Content = new StringContent("{not json", Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("aeg-sas-key", _receiver.Key);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Delete_ClearsTheList()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential(_receiver.Key));
        await publisher.SendEventAsync(new CloudEvent("/test", "ToClear", new { }));

        using var deleted = await _http.DeleteAsync(_receiver.TopicEndpoint);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(_receiver.Events);
        Assert.Equal("[]", await _http.GetStringAsync(_receiver.TopicEndpoint));
    }

    [Fact]
    public async Task WaitForEvents_TimesOutListingWhatArrived()
    {
        var publisher = new EventGridPublisherClient(_receiver.TopicEndpoint, new AzureKeyCredential(_receiver.Key));
        await publisher.SendEventAsync(new CloudEvent("/test", "Other", new { }) { Subject = "s1" });

        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            _receiver.WaitForEventsAsync(e => e.Type == "Missing", timeout: TimeSpan.FromMilliseconds(200)));

        Assert.Contains("Other s1", error.Message, StringComparison.Ordinal);
    }

    private sealed record CompletedData(string Id, int Images);
}
