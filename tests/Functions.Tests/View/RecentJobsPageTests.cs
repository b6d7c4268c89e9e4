using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Seedream.Functions.Tests;

/// <summary>GET /api/view/generations: the listing as a page, each job with its first image's thumbnail and its view link.</summary>
[Collection(PipelineCollection.Name)]
public sealed class RecentJobsPageTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Lists_the_newest_jobs_first_with_thumbnails_view_links_and_a_link_to_older_ones()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });
        var failed = (await harness.SubmitAndRunAsync(TestRequests.Create("a lake [emulator-fault:error;status=401;code=AuthenticationError]"))).GetProperty("id").GetString()!;
        var succeeded = (await harness.SubmitAndRunAsync(TestRequests.Create("a <b>bold</b> harbour"))).GetProperty("id").GetString()!;

        var page = await RecentAsync(harness, "?pageSize=1&code=k%2B1");

        Assert.Equal((200, "text/html; charset=utf-8"), (page.Status, page.ContentType));
        var html = page.Text;
        Assert.Contains($"<a href=\"https://pipeline.example/api/generations/{succeeded}/view?code=k%2B1\"><code>{succeeded}</code></a>", html, StringComparison.Ordinal);
        Assert.Equal([$"https://pipeline.example/api/generations/{succeeded}/images/0/thumbnail?code=k%2B1"], ViewGenerationTests.ImageSources(html));
        Assert.DoesNotContain(failed, html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);

        // "Older jobs" is the next page of the same query, on this page.
        var older = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "<a href=\"([^\"]*)\">Older jobs</a>").Groups[1].Value);
        Assert.StartsWith("https://pipeline.example/api/view/generations?", older, StringComparison.Ordinal);
        var next = await RecentAsync(harness, new Uri(older).Query);
        Assert.Contains($"<code>{failed}</code>", next.Text, StringComparison.Ordinal);
        Assert.Contains("status-failed", next.Text, StringComparison.Ordinal);
        Assert.Empty(ViewGenerationTests.ImageSources(next.Text));
    }

    [Fact]
    public async Task A_bad_query_is_a_400_problem_naming_the_parameter()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });

        var page = await RecentAsync(harness, "?pageSize=0");

        Assert.Equal((400, "application/problem+json"), (page.Status, page.ContentType));
        Assert.True(page.Json.GetProperty("errors").TryGetProperty("pageSize", out _), page.Text);
    }

    private static async Task<HttpResult> RecentAsync(PipelineHarness harness, string query)
    {
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = "GET";
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("pipeline.example");
        context.Request.Path = "/api/view/generations";
        context.Request.QueryString = new QueryString(query);
        var result = await harness.Create<ViewRecentGenerations>().RunAsync(context.Request, CancellationToken.None);
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        return new HttpResult(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, body.ToArray());
    }
}
