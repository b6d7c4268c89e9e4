using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Seedream.Testing;
using Xunit.Abstractions;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// A newcomer's local run: <c>./run.sh</c>, the provider's four examples over real HTTP, images in Azurite, one
/// completion event per job at the receiver, the view pages, then Ctrl-C-like termination leaving nothing behind.
/// </summary>
public sealed partial class LocalRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(90);
    private static readonly string[] s_terminalStatuses = ["succeeded", "partially_succeeded", "failed"];

    /// <summary>The provider's example files and the images each asks for (all PNG).</summary>
    private static readonly (string File, int Images)[] s_examples =
    [
        ("text-to-image.json", 1),
        ("image-to-image.json", 1),
        ("multi-image-fusion.json", 1),
        ("sequential-group.json", 3),
    ];

    [Fact]
    public async Task Examples_run_through_the_local_stack_and_stopping_it_leaves_nothing_running()
    {
        var clock = Stopwatch.StartNew();
        using var budget = new CancellationTokenSource(s_budget);
        var cancellationToken = budget.Token;
        await using var stack = LocalStack.Start();
        try
        {
            await stack.WaitUntilReadyAsync(s_budget).WaitAsync(cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            var jobs = new List<(string File, int Images, string Id, Uri StatusUrl)>();
            foreach (var (file, images) in s_examples)
            {
                var (id, statusUrl) = await SubmitAsync(http, stack, file, cancellationToken);
                jobs.Add((file, images, id, statusUrl));
            }

            var blobs = stack.CreateBlobServiceClient().GetBlobContainerClient("images");
            foreach (var job in jobs)
            {
                var status = await PollUntilTerminalAsync(http, job.StatusUrl, cancellationToken);
                Assert.True(status.GetProperty("status").GetString() == "succeeded", $"{job.File}: {status}");
                Assert.Equal(job.Images, status.GetProperty("images").GetArrayLength());

                var stored = await ListImagesAsync(blobs, job.Id, cancellationToken);
                Assert.Equal(Enumerable.Range(0, job.Images).Select(index => $"{job.Id}/{index}.png"), stored.Select(blob => blob.Name));
                Assert.All(stored, blob => Assert.Equal("image/png", blob.ContentType));
            }

            await AssertOneCompletedEventPerJobAsync(http, stack.EventsUrl, [.. jobs.Select(job => job.Id)], cancellationToken);

            foreach (var job in jobs)
            {
                await AssertViewPageShowsTheStoredImagesAsync(http, stack, blobs, job.Id, job.Images, cancellationToken);
            }

            var processes = stack.ProcessTree();
            output.WriteLine($"Processes before termination:\n{string.Join('\n', processes.Select(p => $"{p.Id} {p.CommandLine}"))}");
            Assert.True(processes.Count >= 5, $"expected the script and its four services, found: {string.Join(", ", processes.Select(p => p.CommandLine))}");

            Assert.Equal(143, await stack.TerminateAsync());
            await AssertNothingLeftRunningAsync(stack, processes);
            Assert.True(clock.Elapsed < s_budget, $"the run took {clock.Elapsed}");
        }
        finally
        {
            output.WriteLine($"Elapsed {clock.Elapsed}.\n{stack.Output}");
        }
    }

    private static async Task<(string Id, Uri StatusUrl)> SubmitAsync(HttpClient http, LocalStack stack, string file, CancellationToken cancellationToken)
    {
        // Verbatim: the bytes of the provider's file, as `curl --data-binary @file` sends them.
        var body = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", file), cancellationToken);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri(stack.ApiBaseUrl, "generations"), content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{file}: {(int)response.StatusCode} {text}");

        var accepted = JsonDocument.Parse(text).RootElement;
        var statusUrl = new Uri(accepted.GetProperty("statusUrl").GetString()!);
        Assert.Equal(response.Headers.Location, statusUrl);
        return (accepted.GetProperty("id").GetString()!, statusUrl);
    }

    private static async Task<JsonElement> PollUntilTerminalAsync(HttpClient http, Uri statusUrl, CancellationToken cancellationToken)
    {
        while (true)
        {
            var job = JsonDocument.Parse(await http.GetStringAsync(statusUrl, cancellationToken)).RootElement;
            if (s_terminalStatuses.Contains(job.GetProperty("status").GetString()))
            {
                return job;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static async Task<List<(string Name, string ContentType)>> ListImagesAsync(BlobContainerClient blobs, string id, CancellationToken cancellationToken)
    {
        var stored = new List<(string, string)>();
        await foreach (var blob in blobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{id}/", cancellationToken))
        {
            stored.Add((blob.Name, blob.Properties.ContentType));
        }

        return stored;
    }

    /// <summary>The completion event may trail the status update by a moment: wait for all, then count.</summary>
    private static async Task AssertOneCompletedEventPerJobAsync(HttpClient http, Uri eventsUrl, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        while (true)
        {
            var events = JsonDocument.Parse(await http.GetStringAsync(eventsUrl, cancellationToken)).RootElement.EnumerateArray()
                .Select(e => (Type: e.GetProperty("type").GetString(), Subject: e.GetProperty("subject").GetString()))
                .ToList();
            if (ids.All(id => events.Exists(e => e.Subject == $"generations/{id}")))
            {
                foreach (var id in ids)
                {
                    var jobEvent = Assert.Single(events, e => e.Subject == $"generations/{id}");
                    Assert.Equal("Seedream.ImageSeries.Completed", jobEvent.Type);
                }

                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static async Task AssertViewPageShowsTheStoredImagesAsync(
        HttpClient http, LocalStack stack, BlobContainerClient blobs, string id, int imageCount, CancellationToken cancellationToken)
    {
        using var page = await http.GetAsync(new Uri(stack.ApiBaseUrl, $"generations/{id}/view"), cancellationToken);
        var html = await page.Content.ReadAsStringAsync(cancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("status-succeeded", html, StringComparison.Ordinal);

        // Each thumbnail is the thumbnail endpoint's JPEG; each links to the full image, which is the stored blob.
        // (The examples' reference images appear too, from their own URLs.)
        var sources = ImageSource().Matches(html).Select(match => WebUtility.HtmlDecode(match.Groups[1].Value))
            .Where(source => source.StartsWith($"/api/generations/{id}/images/", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, imageCount).Select(index => $"/api/generations/{id}/images/{index}/thumbnail"), sources);
        var links = FullSizeLink().Matches(html).Select(match => WebUtility.HtmlDecode(match.Groups[1].Value))
            .Where(link => link.StartsWith($"/api/generations/{id}/images/", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, imageCount).Select(index => $"/api/generations/{id}/images/{index}"), links);
        for (var index = 0; index < imageCount; index++)
        {
            using var thumbnail = await http.GetAsync(new Uri(stack.ApiBaseUrl, sources[index]), cancellationToken);
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);

            using var image = await http.GetAsync(new Uri(stack.ApiBaseUrl, links[index]), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
            var blob = await blobs.GetBlobClient($"{id}/{index}.png").OpenReadAsync(cancellationToken: cancellationToken);
            await using (blob)
            {
                Assert.Equal(await SHA256.HashDataAsync(blob, cancellationToken), await SHA256.HashDataAsync(await image.Content.ReadAsStreamAsync(cancellationToken), cancellationToken));
            }
        }
    }

    private static async Task AssertNothingLeftRunningAsync(LocalStack stack, IReadOnlyList<LinuxProcess> processes)
    {
        // A process signalled last may need a moment to be reaped.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (processes.Any(process => process.IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Empty(processes.Where(process => process.IsAlive).Select(process => $"{process.Id} {process.CommandLine}"));
        foreach (var (name, port) in stack.Ports)
        {
            Assert.False(await FreePorts.IsAnsweringAsync(port, CancellationToken.None), $"{name} {port} still answers.");
        }
    }

    [GeneratedRegex("<img src=\"([^\"]*)\"")]
    private static partial Regex ImageSource();

    [GeneratedRegex("<a class=\"full\" href=\"([^\"]*)\"")]
    private static partial Regex FullSizeLink();
}
