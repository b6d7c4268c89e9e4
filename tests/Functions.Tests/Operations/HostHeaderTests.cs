using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// Links built from the caller's Host header: a header that cannot make a URL (port over 65535, none at all as HTTP/1.0
/// allows) gives root-relative links, never a 500 or <c>http:///api/…</c>; a valid one gives absolute links.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed partial class HostHeaderTests(PipelineFixture fixture)
{
    public static TheoryData<string> UnusableHosts => new() { "127.0.0.1:99999", "127.0.0.1:65536", "", "[::1]:70000", "example.net:-1" };

    [Theory]
    [MemberData(nameof(UnusableHosts))]
    public async Task Landing_page_html_and_json_answer_200_with_root_relative_links(string host)
    {
        await using var harness = CreateHarness();
        await harness.SubmitAsync(TestRequests.Create("host header"));

        var html = await harness.InvokeAsync("GET", "/api/", request => harness.Create<GetLandingPage>().RunAsync(request, CancellationToken.None),
            new Dictionary<string, string> { ["Host"] = host, ["Accept"] = "text/html" });
        var json = await harness.InvokeAsync("GET", "/api/", request => harness.Create<GetLandingPage>().RunAsync(request, CancellationToken.None),
            new Dictionary<string, string> { ["Host"] = host, ["Accept"] = "application/json" });

        Assert.Equal(200, html.Status);
        Assert.Contains("<code>POST /api/generations</code>", html.Text, StringComparison.Ordinal);
        var links = Href().Matches(html.Text).Select(match => System.Net.WebUtility.HtmlDecode(match.Groups[1].Value)).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("/api/", link, StringComparison.Ordinal));
        Assert.Equal(200, json.Status);
        Assert.Equal("/api/openapi.json", json.Json.GetProperty("openApi").GetString());
        Assert.Equal("/api/generations", json.Json.GetProperty("generations").GetString());
        Assert.StartsWith("/api/generations/", json.Json.GetProperty("recentJobs")[0].GetProperty("statusUrl").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UnusableHosts))]
    public async Task OpenApi_listing_and_submission_give_root_relative_links(string host)
    {
        await using var harness = CreateHarness();
        var headers = new Dictionary<string, string> { ["Host"] = host };

        var submitted = await harness.InvokeAsync("POST", "/api/generations", request =>
        {
            WithBody(request, TestRequests.Create("host header submit"));
            return harness.Create<SubmitGeneration>().RunAsync(request, CancellationToken.None);
        }, headers);
        var openApi = await harness.InvokeAsync("GET", "/api/openapi.json", request => Task.FromResult(harness.Create<GetOpenApiDocument>().Run(request)), headers);
        var listing = await harness.InvokeAsync("GET", "/api/generations?pageSize=1", request => harness.Create<ListGenerations>().RunAsync(request, CancellationToken.None), headers);

        Assert.Equal(202, submitted.Status);
        var id = submitted.Json.GetProperty("id").GetString()!;
        Assert.Equal($"/api/generations/{id}", submitted.Json.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/generations/{id}", submitted.Headers.Location.ToString());
        Assert.Equal(200, openApi.Status);
        Assert.Equal("/api", openApi.Json.GetProperty("servers")[0].GetProperty("url").GetString());
        Assert.Equal(200, listing.Status);
        Assert.Equal($"/api/generations/{id}/view", listing.Json.GetProperty("items")[0].GetProperty("viewUrl").GetString());
    }

    [Theory]
    [InlineData("pipeline.example:8443", "https://pipeline.example:8443/api")]
    [InlineData("[::1]:7071", "https://[::1]:7071/api")]
    [InlineData("xn--bcher-kva.example", "https://xn--bcher-kva.example/api")]
    public async Task A_usable_host_gives_absolute_links(string host, string expected)
    {
        await using var harness = CreateHarness();

        var openApi = await harness.InvokeAsync("GET", "/api/openapi.json", request => Task.FromResult(harness.Create<GetOpenApiDocument>().Run(request)),
            new Dictionary<string, string> { ["Host"] = host });

        Assert.Equal(expected, openApi.Json.GetProperty("servers")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Two_Cancel_After_headers_are_a_400_naming_the_header_and_nothing_is_submitted()
    {
        await using var harness = CreateHarness();

        var refused = await harness.InvokeAsync("POST", "/api/generations", request =>
        {
            WithBody(request, TestRequests.Create("two deadlines"));
            request.Headers[DeadlineRules.CancelAfterHeader] = new StringValues(["5m", "1h"]);
            return harness.Create<SubmitGeneration>().RunAsync(request, CancellationToken.None);
        });

        Assert.Equal(400, refused.Status);
        Assert.Equal("application/problem+json", refused.ContentType);
        var errors = refused.Json.GetProperty("errors");
        Assert.Equal(["Cancel-After"], errors.EnumerateObject().Select(error => error.Name));
        Assert.Contains("once", errors.GetProperty("Cancel-After")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await harness.ListAsync()).Json.GetProperty("items").GetArrayLength());
    }

    private static void WithBody(HttpRequest request, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        request.Body = new MemoryStream(bytes);
        request.ContentLength = bytes.Length;
        request.ContentType = "application/json";
    }

    private PipelineHarness CreateHarness() =>
        fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
