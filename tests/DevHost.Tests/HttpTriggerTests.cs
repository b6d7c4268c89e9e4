using System.Net;
using System.Text;
using System.Text.Json;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class HttpTriggerTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestDevHost _host = null!;

    public async Task InitializeAsync() => _host = await TestDevHost.StartAsync(azurite);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task RouteValues_AreBoundByNameAndConverted_UnderTheHostJsonRoutePrefix()
    {
        using var response = await _host.Http.GetAsync("testapi/items/books/42?q=cats");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("books", json.RootElement.GetProperty("category").GetString());
        Assert.Equal(42, json.RootElement.GetProperty("id").GetInt32());
        Assert.Equal("Int32", json.RootElement.GetProperty("idType").GetString());
        Assert.Equal("cats", json.RootElement.GetProperty("query").GetString());
    }

    [Fact]
    public async Task RequestBody_AndResultStatus_PassThrough()
    {
        using var content = new StringContent("ab", Encoding.UTF8, "text/plain");

        using var response = await _host.Http.PostAsync("testapi/echo/3", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("ababab", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "testapi/items/books/not-a-number", HttpStatusCode.NotFound)] // route constraint {id:int}
    [InlineData("POST", "testapi/echo/three", HttpStatusCode.NotFound)]              // route constraint {count:long}
    [InlineData("GET", "api/items/books/42", HttpStatusCode.NotFound)]              // default prefix replaced by host.json
    [InlineData("POST", "testapi/items/books/42", HttpStatusCode.NotFound)]         // no function takes POST: 404, as the real host
    [InlineData("POST", "testapi/nosuch", HttpStatusCode.NotFound)]
    [InlineData("GET", "testapi/throws", HttpStatusCode.InternalServerError)]
    public async Task Mismatches_AndFailures_GetTheHostStatus(string method, string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("x") };

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }
}
