using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SeedreamEmulator;

namespace SeedreamEmulator.Tests;

/// <summary>An in-process emulator plus a raw HttpClient for it; one per test class (xUnit class fixture).</summary>
public sealed class EmulatorTestHost : IAsyncLifetime
{
    public const string ArkRoute = "api/v3/images/generations";
    public const string GatewayRoute = "v1/images/generations";

    private SeedreamEmulatorServer? _server;

    public SeedreamEmulatorServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The provider's examples reference https://example.com/…, which the real API could not read either: these
        // tests run them with the emulator's own reference images standing in (ExternalReferenceTests covers Fetch).
        _server = await SeedreamEmulatorServer.StartAsync(options => options.ExternalReferences = ExternalReferenceMode.Substitute);
        Http = CreateClient(_server);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static HttpClient CreateClient(SeedreamEmulatorServer server) =>
        new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public Task<HttpResponseMessage> PostAsync(string body, string route = ArkRoute, string? fault = null, string? apiKey = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        PostAsync(Http, Server, body, route, fault, apiKey, completion);

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, SeedreamEmulatorServer server, string body, string route = ArkRoute, string? fault = null, string? apiKey = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? server.ApiKey);
        if (fault is not null)
        {
            request.Headers.Add("X-Emulator-Fault", fault);
        }

        return http.SendAsync(request, completion);
    }

    /// <summary>An example file from the provider's documentation, verbatim.</summary>
    public static string Example(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", name + ".json"));

    /// <summary>Parses <paramref name="json"/>, applies <paramref name="edit"/>, serializes again.</summary>
    public static string Edit(string json, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return node.ToJsonString();
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
