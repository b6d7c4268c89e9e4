using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SeedreamEmulator.Tests;

/// <summary>SSE framing (§5) and the real service's timing: no headers before the first image is ready.</summary>
public sealed class StreamingTests
{
    private const string StreamGroup = """{"model":"doubao-seedream-4-5-251128","prompt":"2 images of a garden","sequential_image_generation":"auto","stream":true}""";

    [Fact]
    public async Task Every_event_is_one_event_line_and_one_single_line_data_line()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);

        using var response = await EmulatorTestHost.PostAsync(http, server, StreamGroup);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain('\r', text);
        var events = ServerSentEvents.Parse(text);
        Assert.Equal(4, events.Count);
        foreach (var item in events.SkipLast(1))
        {
            var data = JsonDocument.Parse(item.Data).RootElement;
            Assert.Equal(item.Event, data.GetProperty("type").GetString());
            Assert.Equal("doubao-seedream-4-5-251128", data.GetProperty("model").GetString());
            Assert.True(data.GetProperty("created").GetInt64() > 1_700_000_000);
        }

        var first = JsonDocument.Parse(events[0].Data).RootElement;
        Assert.StartsWith(server.BaseAddress + "results/", first.GetProperty("url").GetString());
        Assert.Equal("2048x2048", first.GetProperty("size").GetString());
        Assert.Equal("data: [DONE]\n\n", text[^"data: [DONE]\n\n".Length..]);
    }

    [Fact]
    public async Task Headers_arrive_only_after_the_first_image_and_events_follow_the_generation()
    {
        // Only lower bounds on elapsed time, which a slow machine cannot break, except the last: the first event must be
        // read before the stream ends. 2 s per image lets the test host stall for 1.5 s after the first event (cold JIT, a
        // loaded 2-core CI machine) and still pass, while an emulator that held the first event back would fail by 2 s.
        var delay = TimeSpan.FromSeconds(2);
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.ImageDelay = delay);
        using var http = EmulatorTestHost.CreateClient(server);
        var stopwatch = Stopwatch.StartNew();

        using var response = await EmulatorTestHost.PostAsync(http, server, StreamGroup, completion: HttpCompletionOption.ResponseHeadersRead);
        var headersAt = stopwatch.Elapsed;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        Assert.Equal("event: image_generation.partial_succeeded", await reader.ReadLineAsync());
        var firstEventAt = stopwatch.Elapsed;
        await reader.ReadToEndAsync();
        var completedAt = stopwatch.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(headersAt >= delay * 0.95, $"headers after {headersAt}");
        Assert.True(completedAt >= delay * 1.95, $"completed after {completedAt}");
        Assert.True(completedAt - firstEventAt >= delay / 4, $"first event at {firstEventAt}, end at {completedAt}: the first image was not sent as soon as it was ready");
    }

    [Fact]
    public async Task Non_stream_response_waits_for_all_images()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.ImageDelay = delay);
        using var http = EmulatorTestHost.CreateClient(server);
        var stopwatch = Stopwatch.StartNew();

        using var response = await EmulatorTestHost.PostAsync(http, server, StreamGroup.Replace("\"stream\":true", "\"stream\":false"), completion: HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= delay * 1.9, $"headers after {stopwatch.Elapsed}");
    }
}
