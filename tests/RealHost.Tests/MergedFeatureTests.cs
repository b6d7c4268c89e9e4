using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using EventGridReceiver;
using Seedream.Testing;

namespace Seedream.RealHost.Tests;

/// <summary>
/// The features merged after issue 19 under the real host: every operation of the OpenAPI document, batches, webhooks,
/// the new queues' undecodable messages and the 404 mapping. Skipped when <c>REAL_FUNC_HOST_RUNNER</c> is not set.
/// </summary>
[Collection(RealHostCollection.Name)]
public sealed class MergedFeatureTests(RealHostFixture host)
{
    private const string MissingJob = "no-such-job";
    private const string MissingBatch = "batch_00000000000000000000000000000000";

    [SkippableFact]
    public async Task Every_operation_of_the_OpenAPI_document_answers_as_documented_with_and_without_a_key()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        await using var receiver = await WebhookReceiverServer.StartAsync(RealHostFixture.WebhookSecret);
        var job = await SubmitAsync(Example("text-to-image.json", receiver.UrlFor("routes")));
        await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{job}" && e.Type == "Seedream.ImageSeries.Completed", timeout: TimeSpan.FromMinutes(2));
        var batch = await SubmitBatchAsync();
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "src", "Functions", "OpenApi", "openapi.json")));
        var checkedOperations = new List<string>();
        foreach (var (path, method, operation) in Operations(document.RootElement))
        {
            var name = $"{method} {path}";
            var anonymous = operation.TryGetProperty("security", out var security) && security.GetArrayLength() == 0;
            using (var withoutKey = await SendAsync(method, Fill(path, job, batch), withKey: false))
            {
                Assert.True(anonymous ? withoutKey.IsSuccessStatusCode : withoutKey.StatusCode == HttpStatusCode.Unauthorized, $"{name} without a key: {(int)withoutKey.StatusCode}");
                await AssertDocumentedAsync(document.RootElement, operation, withoutKey, name + " without a key");
            }

            // A job that ended answers a cancel with 409; a job without inline references has no reference thumbnail.
            var expected = name switch
            {
                "POST /generations/{id}/cancel" => HttpStatusCode.Conflict,
                "GET /generations/{id}/references/{index}/thumbnail" => HttpStatusCode.NotFound,
                _ => SuccessStatus(operation),
            };
            using (var withKey = await SendAsync(method, Fill(path, job, batch), withKey: true))
            {
                Assert.True(withKey.StatusCode == expected, $"{name}: {(int)withKey.StatusCode}, expected {(int)expected}: {await withKey.Content.ReadAsStringAsync()}");
                await AssertDocumentedAsync(document.RootElement, operation, withKey, name);
            }

            if (path.Contains("{id}", StringComparison.Ordinal))
            {
                using var missing = await SendAsync(method, Fill(path, MissingJob, MissingBatch), withKey: true);
                Assert.True(missing.StatusCode == HttpStatusCode.NotFound, $"{name} for a missing id: {(int)missing.StatusCode}");
                await AssertDocumentedAsync(document.RootElement, operation, missing, name + " for a missing id");
            }

            checkedOperations.Add(name);
        }

        // Both callbacks (the job's end and the redelivery) arrive before the receiver goes.
        Assert.Equal(2, (await receiver.Receiver.WaitForAsync(_ => true, 2, TimeSpan.FromMinutes(1))).Count);
        Assert.Contains("POST /generations/{id}/webhook/redeliver", checkedOperations);
        Assert.Contains("GET /batches/{id}/view", checkedOperations);
        Assert.Contains("POST /batches/{id}/cancel", checkedOperations);
        Assert.Contains("GET /batches", checkedOperations);
    }

    [SkippableFact]
    public async Task The_example_batch_runs_to_completed_with_its_Batch_Completed_event()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var logBefore = host.HostLog().Length;
        var id = await SubmitBatchAsync();
        var ended = await host.Events.WaitForEventsAsync(e => e.Subject == $"batches/{id}", timeout: TimeSpan.FromMinutes(3));
        Assert.Equal("Seedream.Batch.Completed", Assert.Single(ended).Type);

        var batch = JsonDocument.Parse(await host.Http.GetStringAsync(host.Url($"batches/{id}"))).RootElement;
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        var counts = batch.GetProperty("requestCounts");
        Assert.Equal(4, counts.GetProperty("total").GetInt32());
        Assert.Equal(4, counts.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, counts.GetProperty("failed").GetInt32());
        var output = batch.GetProperty("outputFile");
        Assert.Equal(4, output.GetProperty("lines").GetInt32());
        var lines = (await host.Http.GetStringAsync(output.GetProperty("url").GetString())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["text-to-image", "image-to-image", "multi-image-fusion", "sequential-group"],
            lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
        Assert.All(lines, line => Assert.Equal(200, JsonDocument.Parse(line).RootElement.GetProperty("response").GetProperty("status_code").GetInt32()));
        // The last job's finalize and a recount (every 2 s here) often finalize at once: neither delivery may fail.
        var log = host.HostLog()[logBefore..];
        Assert.Contains("Executed 'Functions.ProcessBatchControl' (Succeeded", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Executed 'Functions.ProcessBatchControl' (Failed", log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_job_with_a_loopback_callback_gets_its_signed_delivery_and_a_redelivery_with_the_same_id()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        await using var receiver = await WebhookReceiverServer.StartAsync(RealHostFixture.WebhookSecret);
        var hook = receiver.UrlFor("job");
        var id = await SubmitAsync(Example("text-to-image.json", hook));

        var first = await receiver.Receiver.WaitForAsync(w => w.Path == hook.AbsolutePath, 1, TimeSpan.FromMinutes(2));
        var delivery = Assert.Single(first);
        Assert.True(delivery.Verified, delivery.VerifyError);
        var body = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal("Seedream.ImageSeries.Completed", body.GetProperty("type").GetString());
        Assert.Equal($"generations/{id}", body.GetProperty("subject").GetString());

        using var redeliver = await host.Http.PostAsync(host.Url($"generations/{id}/webhook/redeliver"), null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var both = await receiver.Receiver.WaitForAsync(w => w.Path == hook.AbsolutePath, 2, TimeSpan.FromMinutes(1));
        Assert.Equal(2, both.Count);
        Assert.True(both[1].Verified, both[1].VerifyError);
        Assert.Equal(delivery.WebhookId, both[1].WebhookId);
        Assert.Contains("Executed 'Functions.DeliverWebhook' (Succeeded", host.HostLog(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("webhook-deliveries")]
    [InlineData("batch-control")]
    [InlineData("batch-generation-requests")]
    public async Task Text_that_is_not_base64_on_a_new_queue_ends_as_a_dead_letter_with_nothing_left_in_a_poison_queue(string queue)
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var text = $"this is {{not}} base64 ~~ {Guid.NewGuid()}";
        await host.Queue(queue, QueueMessageEncoding.None).SendMessageAsync(text);

        var poison = queue + "-poison";
        var failed = await host.Events.WaitForEventsAsync(
            e => e.Type == "Seedream.ImageSeries.Failed" && e.Subject!.StartsWith($"queues/{poison}/messages/", StringComparison.Ordinal)
                && e.Data!.ToString().Contains("UndecodableMessage", StringComparison.Ordinal),
            timeout: TimeSpan.FromMinutes(2));
        var deadLetters = host.Blobs.GetBlobContainerClient("dead-letters");
        string? letter = null;
        await foreach (var blob in deadLetters.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, poison + "/", CancellationToken.None))
        {
            if ((await deadLetters.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString() == text)
            {
                letter = blob.Name;
                Assert.Equal("UndecodableMessage", blob.Metadata["code"]);
            }
        }

        Assert.True(letter is not null, $"no dead letter under {poison}/ holds the message ({failed.Count} Failed event(s))");
        var poisonQueue = host.Queue(poison, QueueMessageEncoding.None);
        Assert.True(!(await poisonQueue.ExistsAsync()).Value || (await poisonQueue.PeekMessagesAsync(32)).Value.Length == 0, $"{poison} still holds messages");
        Assert.DoesNotContain((await host.Queue(queue, QueueMessageEncoding.None).PeekMessagesAsync(32)).Value, m => m.Body.ToString() == text);
    }

    [SkippableFact]
    public async Task A_missing_job_answers_the_404_problem_from_the_middleware_and_job_steps_stay_in_the_host_console()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var logBefore = host.HostLog().Length;
        foreach (var (method, path) in new[] { ("GET", "generations/{0}"), ("POST", "generations/{0}/cancel"), ("GET", "generations/{0}/view"), ("POST", "generations/{0}/webhook/redeliver") })
        {
            var target = string.Format(System.Globalization.CultureInfo.InvariantCulture, path, MissingJob);
            using var response = await SendAsync(method, target, withKey: true);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {target}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(404, problem.GetProperty("status").GetInt32());
            Assert.Contains(MissingJob, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var id = await SubmitAsync(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json")));
        await host.Events.WaitForEventsAsync(e => e.Subject == $"generations/{id}", timeout: TimeSpan.FromMinutes(2));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!host.HostLog().Contains($"Job {id} ended succeeded", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"'Job {id} ended succeeded' is not in the host log");
            await Task.Delay(250);
        }

        // Answered by HttpFailureMiddleware inside the log scope: the host saw no failed invocation (it logs those at
        // error with the exception), and the job's steps still reached its console.
        var log = host.HostLog()[logBefore..];
        Assert.Contains($"Job {id} accepted", log, StringComparison.Ordinal);
        Assert.Contains($"Job {id}: image 0 stored", log, StringComparison.Ordinal);
        foreach (var function in new[] { "GetGeneration", "CancelGeneration", "ViewGeneration", "RedeliverWebhook" })
        {
            Assert.DoesNotContain($"Executed 'Functions.{function}' (Failed", log, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document)
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                yield return (path.Name, operation.Name.ToUpperInvariant(), operation.Value);
            }
        }
    }

    private static string Fill(string path, string job, string batch) => path.TrimStart('/')
        .Replace("{id}", path.StartsWith("/batches", StringComparison.Ordinal) ? batch : job, StringComparison.Ordinal)
        .Replace("{index}", "0", StringComparison.Ordinal);

    private static HttpStatusCode SuccessStatus(JsonElement operation) =>
        (HttpStatusCode)operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).Where(s => s is >= 200 and < 300).Min();

    /// <summary>The answer's status is one the operation documents, and its content type one documented for that status (none: no body).</summary>
    private static async Task AssertDocumentedAsync(JsonElement document, JsonElement operation, HttpResponseMessage response, string what)
    {
        Assert.True(operation.GetProperty("responses").TryGetProperty(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), out var documented),
            $"{what}: {(int)response.StatusCode} is not documented");
        if (documented.TryGetProperty("$ref", out var reference))
        {
            documented = document.GetProperty("components").GetProperty("responses").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (documented.TryGetProperty("content", out var content))
        {
            Assert.True(mediaType is not null && content.TryGetProperty(mediaType, out _), $"{what}: {(int)response.StatusCode} {mediaType ?? "without a content type"}, documented {string.Join(", ", content.EnumerateObject().Select(c => c.Name))}");
        }
        else
        {
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length == 0, $"{what}: {(int)response.StatusCode} has a body ({mediaType}), documented none");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, bool withKey)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), host.Url(path, withKey));
        request.Content = (method, path) switch
        {
            ("POST", "generations") => Json(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"))),
            ("POST", "batches") => new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", "batch.jsonl"))),
            _ => null,
        };
        return await host.Http.SendAsync(request);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>An example request with a callback to <paramref name="hook"/>.</summary>
    private static string Example(string example, Uri hook)
    {
        var request = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "examples", example)))!.AsObject();
        request["webhook"] = new JsonObject { ["url"] = hook.AbsoluteUri };
        return request.ToJsonString();
    }

    private async Task<string> SubmitAsync(string body)
    {
        using var accepted = await host.Http.PostAsync(host.Url("generations"), Json(body));
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"POST generations: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> SubmitBatchAsync()
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", "batch.jsonl")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var accepted = await host.Http.PostAsync(host.Url("batches"), content);
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"POST batches: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
