using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;
using Seedream.Functions.Submissions;

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
    [Fact]
    public async Task A_status_from_a_newer_version_is_read_as_unknown_keeps_its_name_and_is_never_run()
    {
        await using var harness = fixture.CreateHarness();
        var id = Guid.CreateVersion7().ToString("N");
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // What a newer worker writes mid-deploy: a status this version has never heard of.
        var record = $$$"""
            {"schemaVersion":{{{GenerationJob.CurrentSchemaVersion}}},"id":"{{{id}}}","status":"{{{FutureStatus}}}","source":"http","createdAt":"2026-11-01T10:00:00+00:00",
             "updatedAt":"2026-11-01T10:00:00+00:00","request":{"model":"{{{TestRequests.Model}}}","prompt":"a lighthouse","size":"1K"},
             "phase":"not_started","generationAttempts":0,"images":[],"failures":[]}
            """;
        var blob = harness.Storage.Jobs.GetBlobClient($"{id}.json");
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(record)));
        var jobs = harness.Services.GetRequiredService<JobStore>();

        Assert.False(JobOutcomes.IsKnown(FutureStatus));
        var stored = (await jobs.GetAsync(id, CancellationToken.None))!;

        Assert.Equal(JobStatus.Unknown, stored.Job.Status);
        Assert.Equal(FutureStatus, stored.Job.StatusName);
        Assert.False(stored.Job.IsTerminal);
        // Written back (any write of this version), the name survives.
        stored.Job.Metadata["seen"] = "old";
        Assert.NotNull(await jobs.TryReplaceAsync(stored, CancellationToken.None));
        Assert.Equal(FutureStatus, RawStatus(await blob.DownloadContentAsync()));

        // Running it could pay for a job the newer version decided against: the delivery fails (the queue redelivers) and nothing is sent.
        var posts = harness.Emulator.Requests.Count(r => r.Method == "POST");
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Services.GetRequiredService<GenerationRunner>().RunAsync(id, CancellationToken.None));
        Assert.Equal(posts, harness.Emulator.Requests.Count(r => r.Method == "POST"));
        Assert.Equal(FutureStatus, RawStatus(await blob.DownloadContentAsync()));

        // A cancel is only recorded, for the version that knows the status.
        var cancel = await harness.Services.GetRequiredService<GenerationRunner>().CancelAsync((await jobs.GetAsync(id, CancellationToken.None))!, CancellationToken.None);
        Assert.Equal(CancelOutcome.Requested, cancel.Outcome);
        var afterCancel = JsonDocument.Parse((await blob.DownloadContentAsync()).Value.Content.ToString()).RootElement;
        Assert.Equal(FutureStatus, afterCancel.GetProperty("status").GetString());
        Assert.True(afterCancel.TryGetProperty("cancelRequestedAt", out _));
        Assert.Empty(harness.EventsFor(id));
    }

    /// <summary>A status no version names (not one a test of a new outcome would add): what a newer worker might write.</summary>
    internal const string FutureStatus = "written_by_a_newer_version";

    private static string? RawStatus(Azure.Response<Azure.Storage.Blobs.Models.BlobDownloadResult> download) =>
        JsonDocument.Parse(download.Value.Content.ToString()).RootElement.GetProperty("status").GetString();
}
