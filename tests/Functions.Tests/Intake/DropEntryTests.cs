using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Drops;
using Seedream.Functions.Events;
using Seedream.Functions.Intake;
using Seedream.Functions.Submissions;
using Seedream.Functions.Tests.Drops;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// Drops through the inbox and its event queue (real Azurite): bad JSON drops fail their job naming every field;
/// references may name only inbox blobs, however the path is spelled; event messages that name no blob are dead-lettered.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class DropEntryTests(PipelineFixture fixture)
{
    public static TheoryData<string> Representative()
    {
        var data = new TheoryData<string>();
        foreach (var group in BadInputCases.All.Where(c => c.CancelAfter is null && c.Class != "size").GroupBy(c => c.Class))
        {
            foreach (var badCase in group.Take(2))
            {
                data.Add(badCase.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Representative))]
    public async Task Bad_json_drop_fails_its_job_naming_every_field_and_marks_the_blob(string name)
    {
        var badCase = BadInputCases.ByName[name];
        await using var kit = await DropKit.CreateAsync(fixture);
        var generationsBefore = kit.Harness.GenerationRequestCount();

        var drop = await kit.DropAsync("bad/request.json", badCase.Body);
        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        var error = job.GetProperty("error");
        Assert.Equal(SubmissionService.InvalidRequestCode, error.GetProperty("code").GetString());
        IntakeKit.NamesEvery(IntakeKit.Errors(error.GetProperty("fields")), badCase.Fields, name);
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(kit.Harness.EventsFor(drop.JobId)).Type);
        Assert.Equal("failed", (await kit.MetadataAsync("bad/request.json"))[InboxStore.StatusKey]);
        Assert.Equal(generationsBefore, kit.Harness.GenerationRequestCount());
        await kit.AssertQueuesEmptyAsync();
    }

    public static TheoryData<string> Escapes() =>
    [
        "../../{images}/{job}/0.png", "/../{jobs}/{job}.json", "../{jobs}/{job}.json", "%2e%2e/%2e%2e/{images}/{job}/0.png", "%2E%2E%2F{jobs}%2F{job}.json",
        "..\\..\\{images}\\{job}\\0.png", "a/../../../{images}/{job}/0.png", "%252e%252e/{images}/{job}/0.png", "{account}/{images}/{job}/0.png",
        "{account}/{inbox}/../{images}/{job}/0.png", "{account}/{jobs}/{job}.json", "references/../../{images}/{job}/0.png", "./../{images}/{job}/0.png",
        "/{images}/{job}/0.png",
    ];

    /// <summary>Another job's image and record exist; no spelling of a path reaches them.</summary>
    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task Drop_references_cannot_leave_the_inbox(string pattern)
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var png = await kit.PngAsync("secret", 64, 64);
        var images = kit.Harness.Storage.Images;
        var jobs = kit.Harness.Storage.Jobs;
        await kit.Harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        await images.GetBlobClient("victim/0.png").UploadAsync(BinaryData.FromBytes(png), overwrite: true);
        await jobs.GetBlobClient("victim.json").UploadAsync(BinaryData.FromString("{\"id\":\"victim\"}"), overwrite: true);
        var account = kit.Harness.Services.GetRequiredService<BlobServiceClient>().Uri.AbsoluteUri.TrimEnd('/');
        var entry = pattern.Replace("{images}", images.Name, StringComparison.Ordinal).Replace("{jobs}", jobs.Name, StringComparison.Ordinal)
            .Replace("{inbox}", kit.Inbox.Name, StringComparison.Ordinal).Replace("{job}", "victim", StringComparison.Ordinal).Replace("{account}", account, StringComparison.Ordinal);
        var request = new JsonObject { ["model"] = SeedreamModels.Seedream50Lite, ["prompt"] = "use the reference", ["image"] = new JsonArray("/present.png", entry) };
        await kit.UploadAsync("present.png", png);
        var generationsBefore = kit.Harness.GenerationRequestCount();

        var drop = await kit.DropAsync("sub/dir/request.json", Encoding.UTF8.GetBytes(request.ToJsonString()));
        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        IntakeKit.NamesEvery(IntakeKit.Errors(job.GetProperty("error").GetProperty("fields")), ["image[1]"], entry);
        Assert.False(job.GetProperty("error").GetProperty("fields").TryGetProperty("image[0]", out _));
        Assert.Equal(generationsBefore, kit.Harness.GenerationRequestCount());
    }

    [Fact]
    public async Task A_dot_dot_that_stays_inside_the_inbox_is_normalised_and_used()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        await kit.UploadAsync("shared/ref.png", await kit.PngAsync("shared"));
        var resolver = kit.Harness.Services.GetRequiredService<InboxReferenceResolver>();

        var (candidates, problem) = resolver.CandidateBlobNames("..\\shared/./ref.png", "jobs/request.json");

        Assert.Null(problem);
        Assert.Equal("shared/ref.png", candidates[0]);
    }

    public static TheoryData<string, string> EventGarbage() => new()
    {
        { "cloudevent-without-data", """{"specversion":"1.0","type":"Microsoft.Storage.BlobCreated","source":"/subscriptions/x","id":"e1","subject":"/blobServices/default/containers/inbox/blobs/a.png"}""" },
        { "eventgrid-without-data", """{"id":"e2","eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/inbox/blobs/a.png","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1","metadataVersion":"1","topic":"/x"}""" },
        { "not-json", "this is not an event" },
        { "empty-object", "{}" },
        { "json-number", "42" },
        { "subject-without-blob", """{"specversion":"1.0","type":"Microsoft.Storage.BlobCreated","source":"/x","id":"e3","subject":"/nothing","data":{"api":"PutBlob","url":"https://a.blob.core.windows.net/inbox/a.png","eTag":"0x1"}}""" },
        { "surrogate-in-id", """{"specversion":"1.0","type":"Microsoft.Storage.BlobCreated","source":"/x","id":"\ud800","subject":"/blobServices/default/containers/inbox/blobs/a.png"}""" },
    };

    [Theory]
    [MemberData(nameof(EventGarbage))]
    public async Task Event_messages_that_name_no_blob_are_dead_lettered_with_a_failed_event(string name, string message)
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        await kit.Events.SendMessageAsync(message);
        var received = Assert.Single((await kit.Events.ReceiveMessagesAsync(1)).Value);

        await kit.Harness.Create<ProcessInboxEvent>().RunAsync(received, CancellationToken.None);

        var deadLetters = kit.Harness.Services.GetRequiredService<DeadLetters>();
        var blob = await deadLetters.Container.GetBlobClient(DeadLetters.BlobName(kit.Events.Name, received.MessageId)).DownloadContentAsync();
        Assert.Equal(message, blob.Value.Content.ToString());
        Assert.Equal(DropService.NotAnEventCode, blob.Value.Details.Metadata["code"]);
        var events = await fixture.EventGrid.WaitForEventsAsync(e => e.Subject == $"queues/{kit.Events.Name}/messages/{received.MessageId}", 1, TimeSpan.FromSeconds(10));
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(events).Type);
        Assert.True(name.Length > 0);
    }

    [Fact]
    public async Task Non_utf8_event_bytes_are_dead_lettered_by_the_poison_handler_too()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var message = QueueFunctionExtensions.Message(BinaryData.FromBytes([0xC0, 0xAF, 0xFF]), dequeueCount: 5);

        await kit.Harness.Create<ProcessPoisonInboxEvent>().RunAsync(message, CancellationToken.None);

        var deadLetters = kit.Harness.Services.GetRequiredService<DeadLetters>();
        Assert.True(await deadLetters.Container.GetBlobClient(DeadLetters.BlobName(kit.PoisonEvents.Name, message.MessageId)).ExistsAsync());
    }
}
