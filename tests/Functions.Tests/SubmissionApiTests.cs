using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;

namespace Seedream.Functions.Tests;

/// <summary>POST /api/generations validation, idempotency, size limits and the status and image endpoints.</summary>
[Collection(PipelineCollection.Name)]
public sealed class SubmissionApiTests(PipelineFixture fixture)
{
    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"model":"doubao-seedream-5-0-260128","size":"2K"}""", "prompt" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","size":"1K"}""", "size" },
        { TooManyReferences(), "image" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","watermark":"yes"}""", "watermark" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":"three"}}""", "sequential_image_generation_options.max_images" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","metadata":{"color":5}}""", "metadata.color" },
        { """["not","an","object"]""", "$" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat" """, "$" },
        // A duplicate key is named by its path (it was "$" before the intake).
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","prompt":"a dog"}""", "prompt" },
        { "", "$" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","image":5}""", "image" },
        { """{"model":7,"prompt":"a cat"}""", "model" },
        { """{"model":"doubao-seedream-5-0-260128","prompt":"a cat","metadata":"blue"}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_submission_gets_a_400_problem_naming_the_field_and_stores_nothing(string body, string field)
    {
        await using var harness = fixture.CreateHarness();
        var response = await harness.SubmitAsync(body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        var problem = response.Json;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.NotEmpty(messages.EnumerateArray());
        await AssertNothingStoredOrQueuedAsync(harness);
    }

    [Fact]
    public async Task Body_declared_larger_than_the_limit_is_refused_with_413_without_being_read()
    {
        await using var harness = fixture.CreateHarness();
        var response = await harness.SubmitStreamAsync(new UnreadableStream(), contentLength: 64L * 1024 * 1024);

        Assert.Equal(413, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        await AssertNothingStoredOrQueuedAsync(harness);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_refused_with_413()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pipeline:MaxRequestBodyBytes"] = "65536" });
        var body = Encoding.UTF8.GetBytes(TestRequests.Create(new string('a', 100_000)));
        var response = await harness.SubmitStreamAsync(new MemoryStream(body), contentLength: null);

        Assert.Equal(413, response.Status);
        await AssertNothingStoredOrQueuedAsync(harness);
    }

    [Fact]
    public async Task Accepted_submission_returns_202_with_location_and_enqueues_a_base64_reference()
    {
        await using var harness = fixture.CreateHarness();
        var response = await harness.SubmitAsync(TestRequests.Create("a lake"));

        Assert.Equal(202, response.Status);
        var id = response.Json.GetProperty("id").GetString()!;
        Assert.Equal("queued", response.Json.GetProperty("status").GetString());
        Assert.Equal($"https://pipeline.example/api/generations/{id}", response.Headers.Location.ToString());
        Assert.Equal(response.Headers.Location.ToString(), response.Json.GetProperty("statusUrl").GetString());

        // The raw message is base64 (what host.json tells the Functions host to expect), holding only the job reference.
        var raw = new QueueClient(fixture.Azurite.ConnectionString, harness.Configuration["GenerationRequestsQueue"], new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var peeked = Assert.Single((await raw.PeekMessagesAsync(10)).Value);
        var reference = JsonDocument.Parse(Convert.FromBase64String(peeked.Body.ToString())).RootElement;
        Assert.Equal(id, reference.GetProperty("id").GetString());
        Assert.Equal(2, reference.EnumerateObject().Count());
    }

    [Fact]
    public async Task Idempotency_key_returns_the_same_job_and_rejects_a_different_body()
    {
        await using var harness = fixture.CreateHarness();
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = $"key-{Guid.NewGuid():N}" };
        var body = TestRequests.Create("a windmill");

        var first = await harness.SubmitAsync(body, key);
        var retry = await harness.SubmitAsync(body, key);
        var different = await harness.SubmitAsync(TestRequests.Create("a different windmill"), key);

        Assert.Equal(202, first.Status);
        Assert.Equal(202, retry.Status);
        Assert.Equal(first.Json.GetProperty("id").GetString(), retry.Json.GetProperty("id").GetString());
        Assert.Equal(409, different.Status);
        Assert.Equal("application/problem+json", different.ContentType);

        // The rejected body enqueues nothing; the retry may enqueue the same job again (its first attempt may have died
        // before enqueueing), which must not generate twice: one job on the queue, one generation, one event.
        var id = first.Json.GetProperty("id").GetString()!;
        var queued = (await harness.Storage.GenerationRequests.PeekMessagesAsync(32)).Value;
        Assert.InRange(queued.Length, 1, 2);
        Assert.All(queued, message => Assert.Equal(id, System.Text.Json.JsonDocument.Parse(message.Body).RootElement.GetProperty("id").GetString()));
        var generationsBefore = harness.GenerationRequestCount();
        await harness.RunQueuesAsync();
        Assert.Equal("succeeded", (await harness.GetJobAsync(id)).Json.GetProperty("status").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(id));
    }

    [Fact]
    public async Task Status_of_a_job_elides_inline_references_and_unknown_ids_get_404()
    {
        await using var harness = fixture.CreateHarness();
        var dataUri = "data:image/png;base64," + Convert.ToBase64String(await new HttpClient().GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("ref", 64, 64)));
        var accepted = await harness.SubmitAsync(TestRequests.Create("edit this", configure: request => request["image"] = dataUri));
        Assert.Equal(202, accepted.Status);
        var id = accepted.Json.GetProperty("id").GetString()!;

        var queued = (await harness.GetJobAsync(id)).Json;
        var image = queued.GetProperty("request").GetProperty("image").GetString()!;
        Assert.StartsWith("data:image/png;base64,…(", image, StringComparison.Ordinal);
        Assert.DoesNotContain(dataUri[30..60], image, StringComparison.Ordinal);

        var missing = await harness.GetJobAsync("no-such-job");
        Assert.Equal(404, missing.Status);
        Assert.Equal("application/problem+json", missing.ContentType);
        Assert.Equal(404, (await harness.GetImageAsync(id, 7)).Status);
    }

    [Fact]
    public async Task Trace_context_of_the_submission_reaches_Seedream_and_the_event()
    {
        await using var harness = fixture.CreateHarness();
        var traceId = ActivityTraceId.CreateRandom();
        var traceParent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";
        var marker = Guid.NewGuid().ToString("N");
        var accepted = await harness.SubmitAsync(TestRequests.Create($"a tower {marker}"), new Dictionary<string, string> { ["traceparent"] = traceParent });
        await harness.RunQueuesAsync();

        var id = accepted.Json.GetProperty("id").GetString()!;
        var generation = Assert.Single(fixture.Emulator.Requests, r => r.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.Contains(traceId.ToString(), generation.Headers["traceparent"], StringComparison.Ordinal);
        var completed = Assert.Single(harness.EventsFor(id));
        Assert.Contains(traceId.ToString(), (string)completed.ExtensionAttributes["traceparent"], StringComparison.Ordinal);
    }

    private static string TooManyReferences()
    {
        var request = new JsonObject { ["model"] = "doubao-seedream-5-0-260128", ["prompt"] = "fuse these", ["size"] = "2K" };
        request["image"] = new JsonArray([.. Enumerable.Range(0, 15).Select(i => (JsonNode)$"https://example.com/{i}.png")]);
        return request.ToJsonString();
    }

    [Fact]
    public async Task A_submission_that_cannot_be_enqueued_gets_a_503_and_leaves_no_job_behind()
    {
        await using var harness = fixture.CreateHarness();
        var first = await harness.SubmitAsync(TestRequests.Create("a lighthouse"));
        Assert.Equal(202, first.Status);
        var firstId = first.Json.GetProperty("id").GetString();

        // The work queue disappears after storage was set up: the next job record is written, its enqueue fails.
        await harness.Storage.GenerationRequests.DeleteAsync();
        var refused = await harness.SubmitAsync(TestRequests.Create("a harbour"));

        Assert.Equal(503, refused.Status);
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Equal("5", refused.Headers["Retry-After"].ToString());
        var jobs = new List<string>();
        await foreach (var blob in harness.Storage.Jobs.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
        {
            jobs.Add(blob.Name);
        }

        Assert.Equal([$"{firstId}.json"], jobs);
    }

    private static async Task AssertNothingStoredOrQueuedAsync(PipelineHarness harness)
    {
        if ((await harness.Storage.Jobs.ExistsAsync()).Value)
        {
            await foreach (var blob in harness.Storage.Jobs.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                Assert.Fail($"Unexpected blob {blob.Name}");
            }
        }

        if ((await harness.Storage.GenerationRequests.ExistsAsync()).Value)
        {
            Assert.Equal(0, await harness.VisibleMessageCountAsync(harness.Storage.GenerationRequests));
        }
    }

    /// <summary>A body that fails the test if anyone reads it.</summary>
    private sealed class UnreadableStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("The oversized body was read.");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
