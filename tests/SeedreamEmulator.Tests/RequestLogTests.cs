using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SeedreamEmulator.Tests;

/// <summary>What tests can see of received requests: never the key, never data-URI payloads.</summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task Log_redacts_the_key_elides_data_uris_and_records_status_and_fault()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.ApiKey = "secret-key-123");
        using var http = EmulatorTestHost.CreateClient(server);
        var payload = Convert.ToBase64String(new byte[3000]);
        var body = $$"""{"model":"doubao-seedream-4-5-251128","prompt":"a dog","image":"data:image/png;base64,{{payload}}"}""";

        using (await EmulatorTestHost.PostAsync(http, server, body, fault: "rate-limit"))
        {
        }

        var logged = Assert.Single(server.Requests);
        Assert.Equal("POST", logged.Method);
        Assert.Equal("/api/v3/images/generations", logged.Path);
        Assert.Equal(429, logged.ResponseStatus);
        Assert.Equal("rate-limit", logged.Fault);
        Assert.Equal("Bearer [redacted]", logged.Headers["Authorization"]);
        Assert.Equal("rate-limit", logged.Headers["X-Emulator-Fault"]);
        Assert.InRange(logged.ReceivedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.DoesNotContain(payload[..100], logged.Body);
        var image = JsonDocument.Parse(logged.Body!).RootElement.GetProperty("image").GetString();
        Assert.StartsWith("data:image/png;base64,", image);
        Assert.Contains("chars elided", image);

        var json = await http.GetStringAsync("_emulator/requests");
        Assert.DoesNotContain("secret-key-123", json);
        Assert.DoesNotContain(payload[..100], json);
        var listed = JsonDocument.Parse(json).RootElement;
        Assert.Equal(1, listed.GetArrayLength());
        Assert.Equal(429, listed[0].GetProperty("responseStatus").GetInt32());

        using var cleared = await http.DeleteAsync("_emulator/requests");
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Standalone_key_comes_from_configuration()
    {
        var app = EmulatorApplication.Create(["--urls", "http://127.0.0.1:0", "--Emulator:ApiKey=configured-key", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v3/images/generations")
            {
                Content = new StringContent("""{"model":"doubao-seedream-4-0-250828","prompt":"a cat","size":"1K"}"""),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "configured-key");

            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Default_key_is_the_documented_local_key()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();

        Assert.Equal("local-seedream-key", server.ApiKey);
        Assert.EndsWith("/", server.BaseAddress.AbsoluteUri);
        Assert.Equal(new Uri(server.BaseAddress, "v1"), server.GatewayBaseUrl);
        Assert.Equal(new Uri(server.BaseAddress, "api/v3"), server.ArkBaseUrl);
    }
}
