using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Seedream.DevHost;
using Seedream.Functions.Configuration;
using Seedream.Functions.Telemetry;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// The app's composition in the development host (as tools/DevHost/Program.cs builds it, with the repository's host.json):
/// how the route prefix itself is routed, and that Telemetry:File exports a job's spans in one trace plus metrics.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class DevHostOperationsTests(PipelineFixture fixture) : IAsyncLifetime
{
    private readonly string _telemetryFile = Path.Combine(Path.GetTempPath(), $"seedream-telemetry-{Guid.NewGuid():N}.jsonl");
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var options = new FunctionsDevHostOptions
        {
            ScriptRoot = RepositoryPaths.Root,
            ConfigureServices = (services, configuration) =>
            {
                services.AddSeedreamPipeline(configuration);
                services.AddPipelineOpenTelemetry(configuration);
            },
        };
        options.FunctionAssemblies.Add(typeof(PipelineServiceCollectionExtensions).Assembly);
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["AzureWebJobsStorage"] = fixture.Azurite.ConnectionString,
            ["GenerationRequestsQueue"] = $"gen-{suffix}",
            ["InboxEventsQueue"] = $"inbox-{suffix}",
            ["WebhookDeliveriesQueue"] = $"webhooks-{suffix}",
            ["ImagesContainer"] = $"images-{suffix}",
            ["JobsContainer"] = $"jobs-{suffix}",
            ["InboxContainer"] = $"inbox-{suffix}",
            ["JobIndexTable"] = $"ix{suffix}",
            ["Seedream:BaseUrls:0"] = fixture.Emulator.GatewayBaseUrl.ToString(),
            ["Seedream:ApiKey"] = fixture.Emulator.ApiKey,
            ["EventGrid:TopicEndpoint"] = fixture.EventGrid.TopicEndpoint.ToString(),
            ["EventGrid:TopicKey"] = fixture.EventGrid.Key,
            ["Telemetry:File"] = _telemetryFile,
            ["Telemetry:MetricExportIntervalMilliseconds"] = "300",
        })
        {
            options.Settings[name] = value;
        }

        _app = FunctionsDevHost.Build([], options);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First().TrimEnd('/') + "/") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(_telemetryFile);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("api/")]
    [InlineData("api/index.html")]
    public async Task The_route_prefix_itself_answers_the_landing_page(string path)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi.json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/index.htm")]
    [InlineData("api/anything")]
    public async Task Other_single_segments_stay_404(string path)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Listing_and_submission_share_their_route_by_method_and_the_document_is_served()
    {
        using var listing = await _http.GetAsync("api/generations?pageSize=5");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        using var document = await _http.GetAsync("api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var served = JsonDocument.Parse(await document.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(_app.Urls.First().TrimEnd('/') + "/api", served.GetProperty("servers")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Telemetry_file_holds_the_job_trace_from_the_request_through_seedream_and_storage_and_metrics()
    {
        using var content = new StringContent(TestRequests.Create("telemetry"), Encoding.UTF8, "application/json");
        using var accepted = await _http.PostAsync("api/generations", content);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForStatusAsync(id, "succeeded", TimeSpan.FromSeconds(60));

        var lines = await WaitForLinesAsync(lines =>
            lines.Any(line => line.GetProperty("signal").GetString() == "metric")
            && Spans(lines).Any(span => JobIdOf(span) == id && span.GetProperty("source").GetString() == PipelineTelemetry.ActivitySourceName),
            TimeSpan.FromSeconds(30));

        var spans = Spans(lines).ToList();
        // The job's trace starts at the caller: this test's POST (its HttpClient is instrumented in-process too), then the
        // host's incoming request, then the pipeline's own spans, the Seedream call, storage and the event.
        var jobSpan = spans.First(span => span.GetProperty("source").GetString() == PipelineTelemetry.ActivitySourceName && JobIdOf(span) == id);
        var traceId = jobSpan.GetProperty("traceId").GetString();
        var post = Assert.Single(spans, span => span.GetProperty("traceId").GetString() == traceId && span.GetProperty("source").GetString() == "System.Net.Http"
            && Tag(span, "http.request.method") == "POST" && (Tag(span, "url.full") ?? string.Empty).EndsWith("/api/generations", StringComparison.Ordinal));
        Assert.Contains(spans, span => span.GetProperty("source").GetString() == "Microsoft.AspNetCore" && span.GetProperty("kind").GetString() == "Server"
            && span.GetProperty("parentSpanId").GetString() == post.GetProperty("spanId").GetString());
        var trace = spans.Where(span => span.GetProperty("traceId").GetString() == traceId).ToList();

        Assert.Contains(trace, span => span.GetProperty("source").GetString() == "System.Net.Http"
            && (Tag(span, "url.full") ?? string.Empty).StartsWith(fixture.Emulator.GatewayBaseUrl.ToString().TrimEnd('/') + "/images/generations", StringComparison.Ordinal));
        Assert.Contains(trace, span => span.GetProperty("source").GetString()!.StartsWith("Azure.Storage.Blobs", StringComparison.Ordinal));
        Assert.Contains(trace, span => span.GetProperty("source").GetString() == "System.Net.Http"
            && (Tag(span, "url.full") ?? string.Empty).StartsWith(fixture.EventGrid.TopicEndpoint.ToString(), StringComparison.Ordinal));
        Assert.Contains(lines, line => line.GetProperty("signal").GetString() == "metric" && line.GetProperty("name").GetString() == "http.client.request.duration");
    }

    private async Task WaitForStatusAsync(string id, string status, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var job = await _http.GetFromJsonAsync<JsonElement>($"api/generations/{id}", deadline.Token);
            if (job.GetProperty("status").GetString() == status)
            {
                return;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private async Task<List<JsonElement>> WaitForLinesAsync(Func<List<JsonElement>, bool> complete, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var lines = new List<JsonElement>();
            if (File.Exists(_telemetryFile))
            {
                using var stream = new FileStream(_telemetryFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.Length > 0)
                    {
                        lines.Add(JsonDocument.Parse(line).RootElement);
                    }
                }
            }

            if (complete(lines))
            {
                return lines;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private static IEnumerable<JsonElement> Spans(IEnumerable<JsonElement> lines) => lines.Where(line => line.GetProperty("signal").GetString() == "span");

    private static string? JobIdOf(JsonElement span) => Tag(span, "seedream.job.id");

    private static string? Tag(JsonElement span, string name) =>
        span.GetProperty("tags").TryGetProperty(name, out var value) ? value.GetString() : null;
}
