using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// The view page in a real browser (headless Chromium from Debian's <c>chromium</c> package, driven by Playwright) over
/// the local stack as <c>./run.sh</c> starts it: a 15 × 4K sequential group watched from submission until it is done,
/// its thumbnails loaded, the bytes a browser loads for it, the full image on click, the recent jobs page, and a failed
/// job's error.
/// </summary>
public sealed class BrowserViewTests(ITestOutputHelper output)
{
    /// <summary>What a browser may load for the view of a finished 15 × 4K job: the page and its 15 thumbnails.</summary>
    public const long MaxPageBytes = 3 * 1024 * 1024;

    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task View_page_refreshes_until_a_15_x_4K_group_is_done_shows_its_thumbnails_and_a_failed_jobs_advice()
    {
        var clock = Stopwatch.StartNew();
        using var budget = new CancellationTokenSource(s_budget);
        var cancellationToken = budget.Token;
        // A fifth of a second per image: the group runs for several seconds, long enough to watch the page refresh.
        await using var stack = LocalStack.Start(new Dictionary<string, string> { ["SEEDREAM_EMULATOR_IMAGE_DELAY"] = "00:00:00.200" });
        try
        {
            var chromium = SystemChromium.Find();
            await stack.WaitUntilReadyAsync(s_budget).WaitAsync(cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var group = await SubmitAsync(http, stack, new JsonObject
            {
                ["model"] = "doubao-seedream-5-0-260128",
                ["prompt"] = "生成15张同一座灯塔在一年四季不同时刻的图片 (15 images)",
                ["size"] = "4K",
                ["output_format"] = "png",
                ["response_format"] = "url",
                ["watermark"] = false,
                ["sequential_image_generation"] = "auto",
                ["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 15 },
                ["stream"] = true,
            }, cancellationToken);
            var failed = await SubmitAsync(http, stack, JsonNode.Parse("""
                {"model":"doubao-seedream-5-0-260128","prompt":"a lake [emulator-fault:error;status=401;code=AuthenticationError]","size":"2K"}
                """)!.AsObject(), cancellationToken);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
            });
            var viewport = new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 3000 } };

            // The running page reloads itself (meta refresh) until the job ends; nothing here reloads it.
            var watching = await browser.NewContextAsync(viewport);
            var page = await watching.NewPageAsync();
            var loads = 0;
            page.Load += (_, _) => Interlocked.Increment(ref loads);
            await page.GotoAsync(ViewUrl(stack, group));
            Assert.Matches("status-(queued|running)", await page.InnerHTMLAsync("header"));
            await page.WaitForSelectorAsync(".status-succeeded", new PageWaitForSelectorOptions { Timeout = 60_000 });
            Assert.True(loads >= 2, $"the page loaded {loads} time(s); it should have refreshed itself while the job ran");
            Assert.Equal(0, await page.Locator("meta[http-equiv=refresh]").CountAsync());
            output.WriteLine($"group done after {clock.Elapsed.TotalSeconds:0.0} s, {loads} page loads");

            // A fresh browser (empty cache) opens the finished page: every thumbnail loads, and the bytes stay bounded.
            var fresh = await browser.NewContextAsync(viewport);
            var view = await fresh.NewPageAsync();
            var responses = new List<IResponse>();
            view.Response += (_, response) => responses.Add(response);
            await view.GotoAsync(ViewUrl(stack, group));
            var thumbnails = view.Locator(".images img");
            Assert.Equal(15, await thumbnails.CountAsync());
            await view.WaitForFunctionAsync(
                "() => [...document.querySelectorAll('.images img')].every(i => i.complete && i.naturalWidth > 0)",
                null, new PageWaitForFunctionOptions { Timeout = 45_000, PollingInterval = 200 });
            var widths = await view.EvaluateAsync<int[]>("() => [...document.querySelectorAll('.images img')].map(i => i.naturalWidth)");
            Assert.All(widths, width => Assert.Equal(480, width));

            long bytes = 0;
            foreach (var response in responses)
            {
                bytes += (await response.BodyAsync()).Length;
            }

            output.WriteLine($"15 × 4K view: {responses.Count} responses, {bytes:N0} bytes (page {(await responses[0].BodyAsync()).Length:N0})");
            Assert.Equal(16, responses.Count);
            Assert.All(responses, response => Assert.Equal(200, response.Status));
            Assert.True(bytes < MaxPageBytes, $"the browser loaded {bytes:N0} bytes for the view of a 15 × 4K job (at most {MaxPageBytes:N0})");

            // A thumbnail opens the full image.
            var full = await view.RunAndWaitForResponseAsync(() => thumbnails.First.ClickAsync(), response => response.Url.Contains($"/images/0", StringComparison.Ordinal));
            await view.WaitForURLAsync($"**/generations/{group}/images/0");
            Assert.Equal(200, full.Status);
            Assert.Equal("image/png", full.Headers["content-type"]);
            Assert.EndsWith($"/api/generations/{group}/images/0", new Uri(full.Url).AbsolutePath, StringComparison.Ordinal);

            // The recent jobs page: the group's row shows its first image's thumbnail and links to its view.
            var recent = await fresh.NewPageAsync();
            await recent.GotoAsync(new Uri(stack.ApiBaseUrl, "view/generations").AbsoluteUri);
            var row = recent.Locator($"tr:has(a[href$='/generations/{group}/view'])");
            await row.Locator("img").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
            await recent.WaitForFunctionAsync(
                "id => [...document.querySelectorAll('td.thumb img')].some(i => i.src.includes(id) && i.complete && i.naturalWidth > 0)",
                group, new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 200 });
            Assert.Equal(1, await recent.Locator($"a[href$='/generations/{failed}/view']").CountAsync());

            // A failed job: its error and what to do about it.
            var failure = await fresh.NewPageAsync();
            await failure.GotoAsync(ViewUrl(stack, failed));
            await failure.WaitForSelectorAsync(".status-failed", new PageWaitForSelectorOptions { Timeout = 30_000 });
            var error = await failure.InnerTextAsync(".error");
            Assert.Contains("AuthenticationError", error, StringComparison.Ordinal);
            Assert.Contains("What to do:", error, StringComparison.Ordinal);
            output.WriteLine($"Elapsed {clock.Elapsed.TotalSeconds:0.0} s");
        }
        catch
        {
            output.WriteLine(stack.Output);
            throw;
        }
    }

    private static string ViewUrl(LocalStack stack, string id) => new Uri(stack.ApiBaseUrl, $"generations/{id}/view").AbsoluteUri;

    private static async Task<string> SubmitAsync(HttpClient http, LocalStack stack, JsonObject request, CancellationToken cancellationToken)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri(stack.ApiBaseUrl, "generations"), content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }
}

/// <summary>Debian's <c>chromium</c> (installed by ./test.sh) or another Chromium on the PATH.</summary>
internal static class SystemChromium
{
    private static readonly string[] s_names = ["chromium", "chromium-browser", "google-chrome"];

    public static string Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(directory => s_names.Select(name => Path.Combine(directory, name)))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("No Chromium on the PATH: ./test.sh installs Debian's chromium package (apt-get install -y chromium).");
}
