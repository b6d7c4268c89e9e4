using System.Text.Json.Nodes;
using Seedream.Functions.Events;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Tests;

/// <summary>Faults in what Seedream returns: each ends the job with exactly the images that could be stored, without regenerating.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ResultFaultTests(PipelineFixture fixture)
{
    public static TheoryData<string, string, bool, string, string[], string[]> Faults => new()
    {
        // fault, response_format, stream, expected status, stored indexes, "index:code" failures
        { "expired-urls", "url", false, "failed", [], ["0:AccessDenied"] },
        { "not-an-image;index=0", "url", false, "failed", [], ["0:InvalidImageContent"] },
        { "corrupt-base64;index=1", "b64_json", false, "partially_succeeded", ["0", "2"], ["1:InvalidImageContent"] },
        { "internal-error-at;index=1", "url", false, "partially_succeeded", ["0"], ["1:InternalServiceError"] },
        { "moderation;indexes=0", "b64_json", true, "partially_succeeded", ["1", "2"], ["0:OutputImageSensitiveContentDetected"] },
        { "truncate;after-bytes=40", "url", false, "failed", [], ["0:" + GenerationRunner.ResultLostCode] },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Result_fault_ends_the_job_with_what_could_be_stored(
        string fault, string responseFormat, bool stream, string status, string[] storedIndexes, string[] failures)
    {
        await using var harness = fixture.CreateHarness();
        var singleImage = fault.StartsWith("expired", StringComparison.Ordinal) || fault.StartsWith("not-an-image", StringComparison.Ordinal) || fault.StartsWith("truncate", StringComparison.Ordinal);
        var generationsBefore = harness.GenerationRequestCount();
        var request = TestRequests.Create($"3 images of a city [emulator-fault:{fault}]", responseFormat, maxImages: singleImage ? null : 3,
            configure: body => body["stream"] = stream ? JsonValue.Create(true) : null);

        var job = await harness.SubmitAndRunAsync(request);

        Assert.Equal(status, job.GetProperty("status").GetString());
        Assert.Equal(storedIndexes, job.GetProperty("images").Strings("index"));
        var actualFailures = job.GetProperty("failures").EnumerateArray()
            .Select(f => $"{f.GetProperty("index").GetInt32()}:{f.GetProperty("code").GetString()}");
        Assert.Equal(failures, actualFailures);
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Image_stored_events_are_published_per_image_when_enabled()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["EventGrid:PublishImageStoredEvents"] = "true" });
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("2 images of a river", maxImages: 2));
        var id = job.GetProperty("id").GetString()!;

        var events = harness.EventsFor(id);
        Assert.Equal([JobEventPublisher.ImageStoredType, JobEventPublisher.ImageStoredType, JobEventPublisher.CompletedType], events.Select(e => e.Type));
        Assert.Equal([$"{id}.image.0", $"{id}.image.1"], events.Take(2).Select(e => e.Id));
        Assert.Equal(1, TestRequests.DataOf(events[1]).GetProperty("image").GetProperty("index").GetInt32());
    }
}
