using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Storage.Queues;
using Seedream.Testing;

namespace Seedream.RealHost.Tests;

/// <summary>
/// The app as Azure runs it: under the real Functions host (issue 19). Each test says what it found in the host's
/// answers, its console log, the queues and the events; skipped when <c>REAL_FUNC_HOST_RUNNER</c> is not set.
/// </summary>
[Collection(RealHostCollection.Name)]
public sealed class RealHostTests(RealHostFixture host)
{
    private const string FailedType = "Seedream.ImageSeries.Failed";

    [SkippableFact]
    public async Task Every_route_of_functions_metadata_wants_its_key_and_the_pages_answer_200()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        foreach (var (route, method, authLevel) in HttpRoutes())
        {
            var path = route.Replace("{id}", "no-such-job", StringComparison.Ordinal).Replace("{index:int}", "0", StringComparison.Ordinal)
                .Replace("{document:regex(^index\\.html$)?}", "index.html", StringComparison.Ordinal);
            using var withoutKey = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), host.Url(path, withKey: false)) { Content = method == "POST" ? new StringContent("{}") : null });
            Assert.True((authLevel == "Anonymous") == (withoutKey.StatusCode != HttpStatusCode.Unauthorized), $"{method} {route} without key: {(int)withoutKey.StatusCode}");
        }

        foreach (var page in new[] { "", "index.html", "view/generations", "generations", "models" })
        {
            using var response = await host.Http.GetAsync(host.Url(page));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/{page}: {(int)response.StatusCode}");
        }

        var landing = await host.Http.GetStringAsync(host.Url(""));
        Assert.Contains("/api/view/generations", landing, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("GET", "generations/x/images/abc")]
    [InlineData("GET", "generations/x/images/99999999999")]
    [InlineData("GET", "generations/x/images/%20")]
    [InlineData("GET", "generations/x/images/1e2")]
    [InlineData("GET", "generations/x/images/1e2/thumbnail")]
    [InlineData("GET", "generations/x/references/abc/thumbnail")]
    [InlineData("POST", "nosuch")]
    [InlineData("DELETE", "generations")]
    public async Task Routes_that_match_no_function_answer_404(string method, string path)
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        using var response = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), host.Url(path)));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [SkippableFact]
    public async Task A_text_to_image_job_prints_each_step_once_with_its_id_in_the_host_console()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var accepted = await host.Http.PostAsync(host.Url("generations"), content);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{id}", timeout: TimeSpan.FromMinutes(2));

        string[] steps = [$"Job {id} accepted", $"Job {id}: sending the generation request", $"Job {id}: image 0 stored", $"Job {id} ended succeeded", $"Job {id}: event Seedream.ImageSeries.Completed"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string log;
        while (!steps.All((log = host.HostLog()).Contains) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        foreach (var step in steps)
        {
            Assert.True(Occurrences(log, step) == 1, $"'{step}' appears {Occurrences(log, step)} time(s) in the host log");
        }

        Assert.DoesNotContain("Start processing HTTP request", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Execution attempt.", log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Bad_queue_and_drop_inputs_end_as_failed_events_and_dead_letters_with_no_poison_left()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var started = DateTimeOffset.UtcNow;
        var before = host.Events.Events.Count(e => e.Type == FailedType);
        var requests = host.Queue("generation-requests");
        var raw = host.Queue("generation-requests", QueueMessageEncoding.None);
        var inbox = host.Queue("inbox-events");
        await raw.SendMessageAsync("this is {not} base64 ~~ " + Guid.NewGuid());
        await requests.SendMessageAsync(new BinaryData(new byte[] { 0xC0, 0xAF, 0xFF, 0xFE, (byte)started.Millisecond }));
        await requests.SendMessageAsync($$"""{"not":"a request","nonce":"{{Guid.NewGuid()}}"}""");
        await inbox.SendMessageAsync($$"""{"specversion":"1.0","type":"Microsoft.Storage.BlobCreated","source":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a","id":"{{Guid.NewGuid()}}","subject":"/blobServices/default/containers/inbox/blobs/a.json"}""");

        await host.Events.WaitForEventsAsync(e => e.Type == FailedType, count: before + 4, timeout: TimeSpan.FromMinutes(6));
        var failed = host.Events.Events.Where(e => e.Type == FailedType).Skip(before).ToList();
        Assert.Contains(failed, e => e.Subject!.StartsWith("queues/generation-requests-poison/messages/", StringComparison.Ordinal));
        Assert.Contains(failed, e => e.Subject!.StartsWith("queues/inbox-events/messages/", StringComparison.Ordinal));
        Assert.Equal(2, failed.Count(e => e.Subject!.StartsWith("generations/q-", StringComparison.Ordinal)));

        // The work queues are not checked: another test's message may be in flight there (invisible, but counted).
        // Other tests put their own bad messages on the poison queues (BackgroundLogTests): wait for the drain to empty
        // them rather than reading one moment.
        foreach (var queue in new[] { "generation-requests-poison", "inbox-events-poison" })
        {
            var client = host.Queue(queue, QueueMessageEncoding.None);
            var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
            while ((await client.ExistsAsync()).Value && (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
            {
                Assert.True(DateTimeOffset.UtcNow < deadline, $"{queue} still holds messages after 2 minutes");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        var deadLetters = new List<string>();
        await foreach (var blob in host.Blobs.GetBlobContainerClient("dead-letters").GetBlobsAsync())
        {
            deadLetters.Add(blob.Name);
        }

        Assert.Contains(deadLetters, name => name.StartsWith("generation-requests-poison/", StringComparison.Ordinal));
        Assert.Contains(deadLetters, name => name.StartsWith("inbox-events/", StringComparison.Ordinal));
        Assert.Contains("New queue message detected on 'generation-requests'", host.HostLog(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("text-to-image.json", 1)]
    [InlineData("image-to-image.json", 1)]
    [InlineData("multi-image-fusion.json", 1)]
    [InlineData("sequential-group.json", 3)]
    public async Task The_examples_succeed_with_one_Completed_event(string example, int images)
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var id = await SubmitAsync(example);
        var terminal = await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{id}" && e.Type.StartsWith("Seedream.ImageSeries.", StringComparison.Ordinal), timeout: TimeSpan.FromMinutes(2));
        Assert.Equal("Seedream.ImageSeries.Completed", Assert.Single(terminal).Type);
        var job = JsonDocument.Parse(await host.Http.GetStringAsync(host.Url($"generations/{id}"))).RootElement;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(images, job.GetProperty("images").GetArrayLength());
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_drop_in_each_event_schema_becomes_a_succeeded_job(bool cloudEvents)
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var name = $"drop-{Guid.NewGuid():N}.json";
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [
            Path.Combine(RepositoryPaths.Root, "tools", "DropTool", "bin", Configuration, "net10.0", "Seedream.DropTool.dll"),
            Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"), "--name", name, "--wait", "120", .. (cloudEvents ? new[] { "--cloudevents" } : [])])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AzureWebJobsStorage"] = host.StorageConnectionString;
        using var drop = System.Diagnostics.Process.Start(start)!;
        var output = await drop.StandardOutput.ReadToEndAsync() + await drop.StandardError.ReadToEndAsync();
        await drop.WaitForExitAsync();

        Assert.True(drop.ExitCode == 0, output);
        var id = System.Text.RegularExpressions.Regex.Match(output, @"job (\S+):").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(id), output);
        await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{id}" && e.Type == "Seedream.ImageSeries.Completed", timeout: TimeSpan.FromMinutes(1));
    }

    [SkippableFact]
    public async Task A_worker_killed_mid_job_is_restarted_and_the_job_ends_without_a_second_generation()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var generationsBefore = GenerationRequests();
        var id = await SubmitAsync("sequential-group.json");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!host.HostLog().Contains($"Job {id}: image 0 stored", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "image 0 was not stored within a minute");
            await Task.Delay(100);
        }

        using (var worker = RealHostFixture.Worker())
        {
            Assert.NotNull(worker);
            worker.Kill();
        }

        await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{id}" && e.Type.StartsWith("Seedream.ImageSeries.", StringComparison.Ordinal), timeout: TimeSpan.FromMinutes(8));
        // While the host restarts its worker, HTTP functions answer 500 (seen under the real host): ask until it is back.
        var job = await GetJobAsync(id, TimeSpan.FromMinutes(1));
        Assert.Contains(job.GetProperty("status").GetString(), new[] { "succeeded", "partially_succeeded" });
        await Task.Delay(TimeSpan.FromSeconds(5)); // a second terminal event would follow within this
        Assert.Single(host.Events.Events, e => e.Subject == $"generations/{id}" && e.Type.StartsWith("Seedream.ImageSeries.", StringComparison.Ordinal));
        Assert.Equal(generationsBefore + 1, GenerationRequests());
    }

    private static string Configuration => typeof(RealHostTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
        .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Release";

    private async Task<JsonElement> GetJobAsync(string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await host.Http.GetAsync(host.Url($"generations/{id}"));
            if (response.IsSuccessStatusCode || DateTime.UtcNow > deadline)
            {
                Assert.True(response.IsSuccessStatusCode, $"GET generations/{id}: {(int)response.StatusCode}");
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            }

            await Task.Delay(500);
        }
    }

    private int GenerationRequests() => host.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal));

    private async Task<string> SubmitAsync(string example)
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", example)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var accepted = await host.Http.PostAsync(host.Url("generations"), content);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static IEnumerable<(string Route, string Method, string AuthLevel)> HttpRoutes()
    {
        var configuration = typeof(RealHostTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Release";
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Functions", "bin", configuration, "net10.0", "functions.metadata")));
        var routes = new List<(string, string, string)>();
        foreach (var function in metadata.RootElement.EnumerateArray())
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                foreach (var method in binding.GetProperty("methods").EnumerateArray())
                {
                    routes.Add((binding.GetProperty("route").GetString()!, method.GetString()!.ToUpperInvariant(), binding.GetProperty("authLevel").GetString()!));
                }
            }
        }

        return routes;
    }
}
