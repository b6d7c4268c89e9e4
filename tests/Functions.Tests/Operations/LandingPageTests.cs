using System.Text.RegularExpressions;

namespace Seedream.Functions.Tests.Operations;

/// <summary>GET /api/: the HTML index (or JSON) with the API's documents and the recent jobs' view pages.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class LandingPageTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Html_index_links_the_documents_and_the_view_pages_of_the_recent_jobs_newest_first()
    {
        await using var harness = CreateHarness();
        var ids = new List<string>();
        for (var i = 0; i < GetLandingPage.RecentJobs + 2; i++)
        {
            ids.Add((await harness.SubmitAsync(TestRequests.Create($"landing {i}"))).Json.GetProperty("id").GetString()!);
        }

        var page = await harness.LandingAsync("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        Assert.Equal(200, page.Status);
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.Equal("no-store", page.Headers.CacheControl.ToString());
        var links = Links(page.Text);
        Assert.Contains("https://pipeline.example/api/openapi.json", links);
        Assert.Contains("https://pipeline.example/api/models", links);
        Assert.Contains("https://pipeline.example/api/view/generations", links);
        Assert.Contains("https://pipeline.example/api/generations", links);
        var views = links.Where(link => link.EndsWith("/view", StringComparison.Ordinal)).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse().Take(GetLandingPage.RecentJobs).Select(id => $"https://pipeline.example/api/generations/{id}/view"), views);
        Assert.Contains(">queued<", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_index_for_api_clients_and_the_function_key_travels_in_the_links()
    {
        await using var harness = CreateHarness();
        var id = (await harness.SubmitAsync(TestRequests.Create("landing json"))).Json.GetProperty("id").GetString()!;

        var index = await harness.InvokeAsync("GET", "/api/?code=k%2By", request => harness.Create<GetLandingPage>().RunAsync(request, CancellationToken.None),
            new Dictionary<string, string> { ["Accept"] = "application/json" });

        Assert.Equal(200, index.Status);
        Assert.Equal("application/json; charset=utf-8", index.ContentType);
        var json = index.Json;
        Assert.Equal("https://pipeline.example/api/openapi.json", json.GetProperty("openApi").GetString());
        Assert.Equal("https://pipeline.example/api/models?code=k%2By", json.GetProperty("models").GetString());
        Assert.Equal("https://pipeline.example/api/view/generations?code=k%2By", json.GetProperty("recentJobsPage").GetString());
        Assert.Equal("https://pipeline.example/api/generations?code=k%2By", json.GetProperty("generations").GetString());
        var recent = Assert.Single(json.GetProperty("recentJobs").EnumerateArray());
        Assert.Equal($"https://pipeline.example/api/generations/{id}/view?code=k%2By", recent.GetProperty("viewUrl").GetString());
    }

    [Fact]
    public async Task Empty_app_says_so()
    {
        await using var harness = CreateHarness();

        var page = await harness.LandingAsync();

        Assert.Equal(200, page.Status);
        Assert.Contains("No jobs yet.", page.Text, StringComparison.Ordinal);
    }

    private PipelineHarness CreateHarness() =>
        fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });

    private static List<string> Links(string html) =>
        [.. Href().Matches(html).Select(match => System.Net.WebUtility.HtmlDecode(match.Groups[1].Value))];

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
