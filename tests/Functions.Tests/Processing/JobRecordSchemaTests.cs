using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Seedream.Functions.Tests.Processing;

/// <summary>Job records written by earlier versions of the app (no schema version, the request as a raw JSON element) still run.</summary>
[Collection(PipelineCollection.Name)]
public sealed class JobRecordSchemaTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_version_1_record_is_read_as_a_typed_request_and_runs_to_its_event()
    {
        await using var harness = fixture.CreateHarness();
        var id = Guid.CreateVersion7().ToString("N");
        // Exactly what the version before the typed record wrote: camelCase record, snake_case request, no schemaVersion.
        var record = $$$"""
            {"id":"{{{id}}}","status":"queued","source":"queue","createdAt":"2026-11-01T10:00:00+00:00","updatedAt":"2026-11-01T10:00:00+00:00",
             "requestHash":"abc","request":{"model":"{{{TestRequests.Model}}}","prompt":"2 images of a 灯塔","size":"1K",
             "sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":2},"response_format":"url",
             "watermark":false,"x_vendor_hint":{"keep":true}},
             "metadata":{"order":"42"},"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
             "phase":"not_started","generationAttempts":0,"images":[],"failures":[]}
            """;
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        await harness.Storage.Jobs.GetBlobClient($"{id}.json").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(record)));
        var jobs = harness.Services.GetRequiredService<JobStore>();

        var stored = (await jobs.GetAsync(id, CancellationToken.None))!;

        Assert.Equal(0, stored.Job.SchemaVersion);
        var request = stored.Job.Request!;
        Assert.Equal(TestRequests.Model, request.Model);
        Assert.Equal("2 images of a 灯塔", request.Prompt);
        Assert.Equal(2, request.SequentialImageGenerationOptions!.MaxImages);
        Assert.True(request.AdditionalProperties!["x_vendor_hint"].GetProperty("keep").GetBoolean());

        await harness.EnqueueRawAsync(new JobReferenceMessage(id, null).ToJson());
        await harness.RunQueuesAsync();

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("images").GetArrayLength());
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
        // The request Seedream got is the stored one, unknown fields included; the record is now written as version 2.
        var sent = JsonDocument.Parse(harness.Emulator.Requests.Last(r => r.Method == "POST" && r.Body?.Contains("x_vendor_hint", StringComparison.Ordinal) == true).Body!).RootElement;
        Assert.Equal("2 images of a 灯塔", sent.GetProperty("prompt").GetString());
        Assert.True(sent.GetProperty("x_vendor_hint").GetProperty("keep").GetBoolean());
        var rewritten = JsonDocument.Parse((await harness.Storage.Jobs.GetBlobClient($"{id}.json").DownloadContentAsync()).Value.Content.ToString()).RootElement;
        Assert.Equal(GenerationJob.CurrentSchemaVersion, rewritten.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("灯塔", rewritten.GetProperty("request").GetProperty("prompt").GetString()![^2..]);
        Assert.True(rewritten.GetProperty("request").TryGetProperty("sequential_image_generation_options", out _));
    }

    [Fact]
    public async Task A_record_from_a_newer_schema_is_refused_rather_than_rewritten()
    {
        await using var harness = fixture.CreateHarness();
        var id = Guid.CreateVersion7().ToString("N");
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        await harness.Storage.Jobs.GetBlobClient($"{id}.json").UploadAsync(new BinaryData(
            Encoding.UTF8.GetBytes($$"""{"schemaVersion":{{GenerationJob.CurrentSchemaVersion + 1}},"id":"{{id}}","status":"queued","source":"http"}""")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Services.GetRequiredService<JobStore>().GetAsync(id, CancellationToken.None));
        Assert.Contains("schema", error.Message, StringComparison.Ordinal);
    }
}
