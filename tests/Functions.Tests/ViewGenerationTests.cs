using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Seedream.Functions.Tests;

/// <summary>GET /api/generations/{id}/view: the job as an HTML page, built from the same view as the status API.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class ViewGenerationTests(PipelineFixture fixture)
{
    private const string RefreshTag = "<meta http-equiv=\"refresh\" content=\"2\">";

    [Fact]
    public async Task Succeeded_group_shows_the_facts_and_links_every_stored_image()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("3 images of a harbour at dawn", maxImages: 3));
        var id = job.GetProperty("id").GetString()!;

        var page = await ViewAsync(harness, id);

        Assert.Equal(200, page.Status);
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.StartsWith("default-src 'none'; img-src 'self' https: http:;", page.Headers.ContentSecurityPolicy.ToString(), StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl.ToString());
        var html = page.Text;
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"status status-succeeded\">succeeded</span>", html, StringComparison.Ordinal);
        var text = TextOf(html);
        Assert.Contains(TestRequests.Model, text, StringComparison.Ordinal);
        Assert.Contains("3 images of a harbour at dawn", text, StringComparison.Ordinal);
        Assert.Contains("3 stored, 0 failed", text, StringComparison.Ordinal);
        Assert.Contains("3 generated images", text, StringComparison.Ordinal);
        var cost = job.GetProperty("cost");
        Assert.Contains($"{cost.GetProperty("amount").GetDecimal().ToString(CultureInfo.InvariantCulture)} CNY", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Failed images", text, StringComparison.Ordinal);

        // Thumbnails come from the thumbnail endpoint; each opens the full image (the image endpoint, the stored blob).
        Assert.Equal([$"/api/generations/{id}/images/0/thumbnail", $"/api/generations/{id}/images/1/thumbnail", $"/api/generations/{id}/images/2/thumbnail"], ImageSources(html));
        Assert.Equal([$"/api/generations/{id}/images/0", $"/api/generations/{id}/images/1", $"/api/generations/{id}/images/2"], FullSizeLinks(html));

        // The storage links are working read URLs of the same blobs.
        var storageLinks = StorageLinks(html);
        Assert.Equal(3, storageLinks.Count);
        using var http = new HttpClient();
        for (var index = 0; index < 3; index++)
        {
            var blob = (await harness.Storage.Images.GetBlobClient($"{id}/{index}.jpeg").DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(blob, await http.GetByteArrayAsync(storageLinks[index]));
        }
    }

    [Fact]
    public async Task Prompt_metadata_and_error_fields_are_html_encoded()
    {
        await using var harness = fixture.CreateHarness();
        // A producer's queue request with an invalid metadata value: the job fails naming the field, whose key is attacker-chosen.
        await harness.EnqueueRawAsync("""
            {"id":"xss-job","model":"doubao-seedream-4-0-250828","prompt":"<script>alert('prompt')</script> & \"more\"",
             "metadata":{"note":"\"><img src=x onerror=alert('metadata')>","<b onmouseover=alert('key')>k</b>":5}}
            """);
        await harness.RunQueuesAsync();

        var page = await ViewAsync(harness, "xss-job");

        Assert.Equal(200, page.Status);
        var html = page.Text;
        Assert.Contains("status-failed", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b onmouseover", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(", html, StringComparison.Ordinal);
        Assert.Empty(ImageSources(html));

        var text = TextOf(html);
        Assert.Contains("<script>alert('prompt')</script> & \"more\"", text, StringComparison.Ordinal);
        Assert.Contains("<b onmouseover=alert('key')>k</b>", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_job_shows_the_error_with_its_advice()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a lake [emulator-fault:error;status=401;code=AuthenticationError]"));
        var error = job.GetProperty("error");

        var html = (await ViewAsync(harness, job.GetProperty("id").GetString()!)).Text;

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("<span class=\"status status-failed\">failed</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
        var text = TextOf(html);
        var message = error.GetProperty("message").GetString()!;
        var advice = error.GetProperty("advice").GetString()!;
        Assert.EndsWith(advice, message, StringComparison.Ordinal);

        // The advice that ends Seedream's message is shown once, on its own line.
        Assert.Contains($"AuthenticationError (Seedream HTTP 401): {message[..^advice.Length].TrimEnd()}\n", text, StringComparison.Ordinal);
        Assert.Contains($"What to do: {advice}", text, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(text, Regex.Escape(advice)));
        Assert.Contains("No image was stored.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partially_succeeded_job_lists_each_failed_image()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("3 images of a city [emulator-fault:internal-error-at;index=1]", maxImages: 3));
        var id = job.GetProperty("id").GetString()!;
        var failure = Assert.Single(job.GetProperty("failures").EnumerateArray());

        var html = (await ViewAsync(harness, id)).Text;

        Assert.Contains("<span class=\"status status-partially_succeeded\">partially succeeded</span>", html, StringComparison.Ordinal);
        Assert.Equal([$"/api/generations/{id}/images/0/thumbnail"], ImageSources(html));
        var row = Assert.Single(FailureRows().Matches(html));
        Assert.Equal("1", row.Groups["index"].Value);
        Assert.Equal("InternalServiceError", row.Groups["code"].Value);
        Assert.Equal(failure.GetProperty("message").GetString(), WebUtility.HtmlDecode(row.Groups["message"].Value));
    }

    [Fact]
    public async Task Page_refreshes_while_the_job_is_queued_or_running_and_stops_when_it_ends()
    {
        await using var harness = fixture.CreateHarness();
        var accepted = await harness.SubmitAsync(TestRequests.Create("2 images of a bridge", maxImages: 2));
        var id = accepted.Json.GetProperty("id").GetString()!;

        var queued = (await ViewAsync(harness, id)).Text;
        Assert.Contains(RefreshTag, queued, StringComparison.Ordinal);
        Assert.Contains("status-queued", queued, StringComparison.Ordinal);
        Assert.Contains("No image stored yet.", queued, StringComparison.Ordinal);

        // A delivery that stops after the first image leaves the job running with one image stored.
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value;
        using (var crash = new CancellationTokenSource())
        {
            harness.Hooks.ImageStored = (_, _) => crash.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), crash.Token));
            harness.Hooks.ImageStored = null;
        }

        var running = (await ViewAsync(harness, id)).Text;
        Assert.Contains(RefreshTag, running, StringComparison.Ordinal);
        Assert.Contains("status-running", running, StringComparison.Ordinal);
        Assert.Equal([$"/api/generations/{id}/images/0/thumbnail"], ImageSources(running));

        await harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), CancellationToken.None);

        var succeeded = (await ViewAsync(harness, id)).Text;
        Assert.DoesNotContain("http-equiv=\"refresh\"", succeeded, StringComparison.Ordinal);
        Assert.Equal(2, ImageSources(succeeded).Count);
    }

    [Fact]
    public async Task Image_links_carry_the_function_key_the_page_was_opened_with()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a meadow"));
        var id = job.GetProperty("id").GetString()!;

        var html = (await ViewAsync(harness, id, "?code=key%2B%2Fwith%3Dsigns")).Text;

        Assert.Equal([$"/api/generations/{id}/images/0/thumbnail?code=key%2B%2Fwith%3Dsigns"], ImageSources(html));
        Assert.Equal([$"/api/generations/{id}/images/0?code=key%2B%2Fwith%3Dsigns"], FullSizeLinks(html));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("<script>")]
    public async Task Unknown_or_malformed_id_is_a_404_problem(string id)
    {
        await using var harness = fixture.CreateHarness();

        var page = await ViewAsync(harness, id);

        Assert.Equal(404, page.Status);
        Assert.Equal("application/problem+json", page.ContentType);
        Assert.Equal(404, page.Json.GetProperty("status").GetInt32());
    }

    [Fact]
    public void Functions_host_binds_the_page_to_its_route_with_a_function_key()
    {
        // The Functions SDK generates functions.metadata from the attributes; it is what the host reads.
        var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata"))).RootElement;
        var function = Assert.Single(metadata.EnumerateArray(), f => f.GetProperty("name").GetString() == nameof(ViewGeneration));
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("direction").GetString() == "In");

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("generations/{id}/view", trigger.GetProperty("route").GetString());
        Assert.Equal(["get"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
    }

    /// <summary>Calls the function as the host would: route value, a request whose path is the page's own.</summary>
    internal static async Task<HttpResult> ViewAsync(PipelineHarness harness, string id, string query = "")
    {
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = "GET";
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("pipeline.example");
        context.Request.Path = $"/api/generations/{Uri.EscapeDataString(id)}/view";
        context.Request.QueryString = new QueryString(query);

        return await HostedFunction.ExecuteAsync(context, () => harness.Create<ViewGeneration>().RunAsync(context.Request, id, CancellationToken.None));
    }

    /// <summary>What a reader sees: the page without its tags, entities decoded.</summary>
    internal static string TextOf(string html) => WebUtility.HtmlDecode(Tag().Replace(html, string.Empty));

    internal static List<string> ImageSources(string html) => [.. ImageSource().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    internal static List<string> FullSizeLinks(string html) => [.. FullSizeLink().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    private static List<string> StorageLinks(string html) => [.. StorageLink().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex("<img src=\"([^\"]*)\"")]
    private static partial Regex ImageSource();

    [GeneratedRegex("<a class=\"full\" href=\"([^\"]*)\"")]
    private static partial Regex FullSizeLink();

    [GeneratedRegex("<a href=\"([^\"]*)\" title=\"Signed storage URL")]
    private static partial Regex StorageLink();

    [GeneratedRegex("<tr><td>(?<index>\\d+)</td><td><code>(?<code>[^<]*)</code></td><td>(?<message>[^<]*)</td></tr>")]
    private static partial Regex FailureRows();
}
