using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Drops;
using Seedream.Functions.Events;

namespace Seedream.Functions.Tests.Drops;

/// <summary>Blob drops end to end: Azurite inbox, BlobCreated events on the queue, the emulator, Event Grid receiver.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DropScenarioTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Json_drop_naming_two_inbox_images_runs_the_fusion_example()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        // Uploading the references raises their events too: under references/ they start no job.
        var person = await kit.DropAsync("references/person.png", await kit.PngAsync("person"));
        var clothes = await kit.DropAsync("references/clothes.png", await kit.PngAsync("clothes"));
        var request = Example("multi-image-fusion.json");
        request["image"] = new JsonArray("person.png", "/references/clothes.png");
        var generationsBefore = kit.Harness.GenerationRequestCount();

        var drop = await kit.DropAsync("fusion/request.json", Encoding.UTF8.GetBytes(request.ToJsonString()));
        await kit.RunAsync();

        Assert.False(await kit.Harness.Storage.Jobs.GetBlobClient($"{person.JobId}.json").ExistsAsync());
        Assert.False(await kit.Harness.Storage.Jobs.GetBlobClient($"{clothes.JobId}.json").ExistsAsync());
        Assert.False((await kit.MetadataAsync("references/person.png")).ContainsKey(InboxStore.JobIdKey));

        var job = await kit.JobAsync(drop.JobId);
        AssertStatus("succeeded", job);
        Assert.Equal("fusion/request.json", job.GetProperty("sourceBlob").GetProperty("name").GetString());
        Assert.Equal(drop.ETag.Trim('"'), job.GetProperty("sourceBlob").GetProperty("eTag").GetString());
        var image = Assert.Single(job.GetProperty("images").EnumerateArray());
        Assert.True(await kit.Harness.Storage.Images.GetBlobClient(image.GetProperty("blobName").GetString()).ExistsAsync());
        Assert.Equal(generationsBefore + 1, kit.Harness.GenerationRequestCount());

        // Azurite is loopback, so the references went to Seedream inline, as lowercase PNG data URIs, in the request's order.
        var sent = JsonNode.Parse(LastGenerationBody(kit))!;
        var references = sent["image"]!.AsArray().Select(r => r!.GetValue<string>()).ToArray();
        Assert.Equal(2, references.Length);
        // The emulator's log elides the base64 but keeps its length; it decoded and size-checked both images to answer.
        Assert.Equal(
            [ElidedDataUri(await kit.PngAsync("person")), ElidedDataUri(await kit.PngAsync("clothes"))],
            references);
        Assert.Equal(request["prompt"]!.GetValue<string>(), sent["prompt"]!.GetValue<string>());

        var completed = Assert.Single(kit.Harness.EventsFor(drop.JobId));
        Assert.Equal(JobEventPublisher.CompletedType, completed.Type);
        var source = TestRequests.DataOf(completed).GetProperty("sourceBlob");
        Assert.Equal("fusion/request.json", source.GetProperty("name").GetString());
        Assert.Equal(kit.Inbox.Name, source.GetProperty("container").GetString());

        var marks = await kit.MetadataAsync("fusion/request.json");
        Assert.Equal(drop.JobId, marks[InboxStore.JobIdKey]);
        Assert.Equal("succeeded", marks[InboxStore.StatusKey]);
        Assert.False(marks.ContainsKey(InboxStore.ErrorKey));
        await kit.AssertQueuesEmptyAsync();
    }

    [Theory]
    [InlineData(EventSchema.EventGrid)]
    [InlineData(EventSchema.CloudEvents)]
    public async Task Image_drop_takes_its_prompt_and_parameters_from_metadata(EventSchema schema)
    {
        await using var kit = await DropKit.CreateAsync(fixture, new Dictionary<string, string?> { ["Drops:Defaults:size"] = "2K" });
        const string prompt = "把服装换成透明玻璃质感";
        var metadata = new Dictionary<string, string>
        {
            ["prompt"] = Uri.EscapeDataString(prompt),
            ["output_format"] = "png",
            ["watermark"] = "false",
            ["owner"] = "studio-7",
        };

        var drop = await kit.DropAsync("portrait.png", await kit.PngAsync("portrait", 96, 128), metadata, schema);
        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        AssertStatus("succeeded", job);
        Assert.Single(job.GetProperty("images").EnumerateArray());

        var sent = JsonNode.Parse(LastGenerationBody(kit))!;
        Assert.Equal(prompt, sent["prompt"]!.GetValue<string>());
        Assert.Equal(SeedreamModels.Seedream50Lite, sent["model"]!.GetValue<string>());
        Assert.Equal("2K", sent["size"]!.GetValue<string>());
        Assert.False(sent["watermark"]!.GetValue<bool>());
        Assert.StartsWith("data:image/png;base64,", sent["image"]!.GetValue<string>(), StringComparison.Ordinal);

        var completed = Assert.Single(kit.Harness.EventsFor(drop.JobId));
        Assert.Equal(JobEventPublisher.CompletedType, completed.Type);
        var marks = await kit.MetadataAsync("portrait.png");
        Assert.Equal("succeeded", marks[InboxStore.StatusKey]);
        Assert.Equal(drop.JobId, marks[InboxStore.JobIdKey]);
        Assert.Equal("studio-7", marks["owner"]);
        await kit.AssertQueuesEmptyAsync();
    }

    [Fact]
    public async Task Url_mode_hands_seedream_a_short_lived_read_url_of_the_blob()
    {
        await using var kit = await DropKit.CreateAsync(fixture, new Dictionary<string, string?> { ["Drops:ReferenceMode"] = "Url" });
        var drop = await kit.DropAsync("by-url/cat.png", await kit.PngAsync("cat"), new Dictionary<string, string> { ["prompt"] = "a cat in the style of ukiyo-e" });

        await kit.RunAsync();

        AssertStatus("succeeded", await kit.JobAsync(drop.JobId));
        var reference = new Uri(JsonNode.Parse(LastGenerationBody(kit))!["image"]!.GetValue<string>());
        Assert.Equal(kit.Inbox.GetBlobClient("by-url/cat.png").Uri.AbsolutePath, reference.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(reference.Query);
        Assert.Equal("r", query["sp"]);
        Assert.NotNull(query["sig"]);
        var expiresOn = DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresOn, DateTimeOffset.UtcNow.AddMinutes(100), DateTimeOffset.UtcNow.AddHours(2).AddMinutes(1));
    }

    [Fact]
    public async Task Group_request_dropped_as_json_stores_every_image_with_one_completed_event()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        await kit.UploadAsync("character.png", await kit.PngAsync("character"));
        await kit.UploadAsync("toy.png", await kit.PngAsync("toy"));
        var request = Example("sequential-group.json");
        request["image"] = new JsonArray("character.png", "toy.png");

        var drop = await kit.DropAsync("group.json", Encoding.UTF8.GetBytes(request.ToJsonString()));
        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        AssertStatus("succeeded", job);
        Assert.Equal(["0", "1", "2"], job.GetProperty("images").Strings("index"));
        foreach (var image in job.GetProperty("images").EnumerateArray())
        {
            Assert.True(await kit.Harness.Storage.Images.GetBlobClient(image.GetProperty("blobName").GetString()).ExistsAsync());
        }

        var completed = Assert.Single(kit.Harness.EventsFor(drop.JobId));
        Assert.Equal(3, TestRequests.DataOf(completed).GetProperty("images").GetArrayLength());
        Assert.Equal("succeeded", (await kit.MetadataAsync("group.json"))[InboxStore.StatusKey]);
        await kit.AssertQueuesEmptyAsync();
    }

    [Fact]
    public async Task Duplicate_events_for_one_blob_make_one_job_and_one_generation()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var drop = await kit.DropAsync("twice.png", await kit.PngAsync("twice"), new Dictionary<string, string> { ["prompt"] = "a watercolor version" });
        await kit.EnqueueEventAsync(drop, EventSchema.CloudEvents);
        var generationsBefore = kit.Harness.GenerationRequestCount();

        await kit.RunAsync();
        // Once more after the job ended and the blob was marked (its ETag changed): the event's ETag still names the job.
        await kit.EnqueueEventAsync(drop, EventSchema.EventGrid);
        await kit.RunAsync();

        Assert.Equal(generationsBefore + 1, kit.Harness.GenerationRequestCount());
        Assert.Single(kit.Harness.EventsFor(drop.JobId));
        var jobs = new List<string>();
        await foreach (var blob in kit.Harness.Storage.Jobs.GetBlobsAsync())
        {
            jobs.Add(blob.Name);
        }

        Assert.Equal([$"{drop.JobId}.json"], jobs);
        Assert.Equal("succeeded", (await kit.MetadataAsync("twice.png"))[InboxStore.StatusKey]);
        await kit.AssertQueuesEmptyAsync();
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_event_make_one_job()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var content = await kit.PngAsync("racing");
        var etag = await kit.UploadAsync("racing.png", content, new Dictionary<string, string> { ["prompt"] = "a charcoal drawing" });
        var drop = new DroppedBlob(kit.Inbox.Name, "racing.png", etag, content.Length, kit.Inbox.GetBlobClient("racing.png").Uri);
        var message = DropKit.BlobCreatedEvent(drop, EventSchema.EventGrid);
        var generationsBefore = kit.Harness.GenerationRequestCount();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => kit.Harness.Create<ProcessInboxEvent>().RunAsync(message, CancellationToken.None))));
        await kit.RunAsync();

        AssertStatus("succeeded", await kit.JobAsync(drop.JobId));
        Assert.Equal(generationsBefore + 1, kit.Harness.GenerationRequestCount());
        Assert.Single(kit.Harness.EventsFor(drop.JobId));
    }

    [Fact]
    public async Task Events_for_other_containers_and_other_event_types_are_ignored()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var images = kit.Harness.Storage.Images;
        await images.CreateIfNotExistsAsync();
        var content = await kit.PngAsync("elsewhere");
        var etag = await kit.UploadAsync("job-1/0.png", content, new Dictionary<string, string> { ["prompt"] = "ignored" }, container: images);
        var elsewhere = new DroppedBlob(images.Name, "job-1/0.png", etag, content.Length, images.GetBlobClient("job-1/0.png").Uri);
        await kit.EnqueueEventAsync(elsewhere, EventSchema.EventGrid);
        var deleted = DropKit.BlobCreatedEvent(elsewhere with { Container = kit.Inbox.Name }, EventSchema.EventGrid)
            .Replace("Microsoft.Storage.BlobCreated", "Microsoft.Storage.BlobDeleted", StringComparison.Ordinal);
        await kit.Events.SendMessageAsync(deleted);
        // Hierarchical namespace accounts announce an empty file first (CreateFile); its content comes with FlushWithClose.
        var emptyEtag = await kit.UploadAsync("empty.png", []);
        var empty = new DroppedBlob(kit.Inbox.Name, "empty.png", emptyEtag, 0, kit.Inbox.GetBlobClient("empty.png").Uri);
        await kit.Events.SendMessageAsync(DropKit.BlobCreatedEvent(empty, EventSchema.CloudEvents).Replace("\"PutBlob\"", "\"CreateFile\"", StringComparison.Ordinal));
        var generationsBefore = kit.Harness.GenerationRequestCount();

        await kit.RunAsync();

        Assert.Equal(generationsBefore, kit.Harness.GenerationRequestCount());
        Assert.False(await kit.Harness.Storage.Jobs.GetBlobClient($"{elsewhere.JobId}.json").ExistsAsync());
        Assert.Empty(kit.Harness.EventsFor(elsewhere.JobId));
        Assert.False((await images.GetBlobClient("job-1/0.png").GetPropertiesAsync()).Value.Metadata.ContainsKey(InboxStore.JobIdKey));
        Assert.False(await kit.Harness.Storage.Jobs.GetBlobClient($"{empty.JobId}.json").ExistsAsync());
        await kit.AssertQueuesEmptyAsync();
    }

    public static TheoryData<string, string, string> BadDrops => new()
    {
        { "malformed-json", "InvalidRequest", "$" },
        { "unsupported-type", "UnsupportedDropType", "" },
        { "image-over-limits", "InvalidRequest", "image" },
        { "missing-prompt", "InvalidRequest", "prompt" },
        { "missing-reference", "InvalidRequest", "image[1]" },
    };

    [Theory]
    [MemberData(nameof(BadDrops))]
    public async Task Bad_drop_fails_its_job_with_a_failed_event_and_the_error_on_the_blob(string kind, string code, string field)
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        await kit.UploadAsync("present.png", await kit.PngAsync("present"));
        var prompt = new Dictionary<string, string> { ["prompt"] = "a pencil sketch" };
        var (name, content, metadata) = kind switch
        {
            "malformed-json" => ("broken.json", Encoding.UTF8.GetBytes("{\"model\": \"doubao-seedream-5-0-260128\", \"prompt\": "), null),
            "unsupported-type" => ("notes.txt", Encoding.UTF8.GetBytes("not an image"), prompt),
            // 400x20 is a 20:1 aspect ratio; references allow at most 16:1.
            "image-over-limits" => ("banner.png", await kit.PngAsync("banner", 400, 20), prompt),
            "missing-prompt" => ("no-prompt.png", await kit.PngAsync("no-prompt"), null),
            _ => ("missing.json", Encoding.UTF8.GetBytes(new JsonObject
            {
                ["model"] = SeedreamModels.Seedream50Lite,
                ["prompt"] = "将图1中的人物换上图2中的服装",
                ["image"] = new JsonArray("present.png", "缺少的衣服.png"),
            }.ToJsonString()), (Dictionary<string, string>?)null),
        };
        var generationsBefore = kit.Harness.GenerationRequestCount();

        var drop = await kit.DropAsync(name, content, metadata);
        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        AssertStatus("failed", job);
        var error = job.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (field.Length > 0)
        {
            Assert.True(error.GetProperty("fields").TryGetProperty(field, out _), $"error fields: {error}");
        }

        if (kind == "missing-reference")
        {
            Assert.Contains("no blob named '缺少的衣服.png' or 'references/缺少的衣服.png'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        var failed = Assert.Single(kit.Harness.EventsFor(drop.JobId));
        Assert.Equal(JobEventPublisher.FailedType, failed.Type);
        var data = TestRequests.DataOf(failed);
        Assert.Equal(code, data.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(name, data.GetProperty("sourceBlob").GetProperty("name").GetString());

        var marks = await kit.MetadataAsync(name);
        Assert.Equal(drop.JobId, marks[InboxStore.JobIdKey]);
        Assert.Equal("failed", marks[InboxStore.StatusKey]);
        Assert.Equal(code, marks[InboxStore.ErrorCodeKey]);
        Assert.All(marks[InboxStore.ErrorKey], c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(InboxStore.AsciiSafe(error.GetProperty("message").GetString()!), marks[InboxStore.ErrorKey]);

        Assert.Equal(generationsBefore, kit.Harness.GenerationRequestCount());
        await kit.AssertQueuesEmptyAsync();
    }

    [Fact]
    public async Task Inline_references_beyond_the_budget_fail_the_drop_before_reading_them()
    {
        using var http = new HttpClient();
        var png = await http.GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("budget", 48, 48));
        // Room for one of the two references, not for both.
        var budget = Math.Max(1024, png.Length * 3 / 2);
        await using var kit = await DropKit.CreateAsync(fixture, new Dictionary<string, string?> { ["Drops:MaxInlineReferenceBytes"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await kit.UploadAsync("references/a.png", png);
        await kit.UploadAsync("references/b.png", png);
        Assert.InRange(budget, png.Length, (2 * png.Length) - 1);
        var request = new JsonObject { ["model"] = SeedreamModels.Seedream50Lite, ["prompt"] = "merge", ["image"] = new JsonArray("a.png", "b.png") };

        var drop = await kit.DropAsync("budget.json", Encoding.UTF8.GetBytes(request.ToJsonString()));
        await kit.RunAsync();

        var error = (await kit.JobAsync(drop.JobId)).GetProperty("error");
        var fields = error.GetProperty("fields");
        Assert.False(fields.TryGetProperty("image[0]", out _));
        Assert.Contains("Drops:ReferenceMode=Url", fields.GetProperty("image[1]")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", (await kit.MetadataAsync("budget.json"))[InboxStore.StatusKey]);
    }

    [Fact]
    public async Task Event_whose_every_delivery_failed_ends_its_drop_as_a_failed_job()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var content = await kit.PngAsync("unlucky");
        var etag = await kit.UploadAsync("unlucky.png", content, new Dictionary<string, string> { ["prompt"] = "never generated" });
        var drop = new DroppedBlob(kit.Inbox.Name, "unlucky.png", etag, content.Length, kit.Inbox.GetBlobClient("unlucky.png").Uri);
        await kit.PoisonEvents.SendMessageAsync(DropKit.BlobCreatedEvent(drop, EventSchema.CloudEvents));

        await kit.RunAsync();

        var job = await kit.JobAsync(drop.JobId);
        AssertStatus("failed", job);
        Assert.Equal(DropService.DropNotAcceptedCode, job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(kit.Harness.EventsFor(drop.JobId)).Type);
        Assert.Equal(DropService.DropNotAcceptedCode, (await kit.MetadataAsync("unlucky.png"))[InboxStore.ErrorCodeKey]);
        await kit.AssertQueuesEmptyAsync();
    }

    [Fact]
    public async Task Event_messages_are_base64_json_as_event_grid_writes_them_and_garbage_is_not_retried()
    {
        await using var kit = await DropKit.CreateAsync(fixture);
        var drop = await kit.DropAsync("encoded.png", await kit.PngAsync("encoded"), new Dictionary<string, string> { ["prompt"] = "a mosaic" });
        var raw = new QueueClient(fixture.Azurite.ConnectionString, kit.Events.Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var stored = Assert.Single((await raw.PeekMessagesAsync()).Value).Body.ToString();
        using (var decoded = JsonDocument.Parse(Convert.FromBase64String(stored)))
        {
            Assert.Equal("Microsoft.Storage.BlobCreated", decoded.RootElement.GetProperty("eventType").GetString());
        }

        await kit.RunAsync();
        AssertStatus("succeeded", await kit.JobAsync(drop.JobId));

        // Garbage is logged and done with on its first delivery: had the function thrown, the host would deliver it
        // again (up to maxDequeueCount) and then to the poison queue, which also ends with empty queues.
        await kit.Events.SendMessageAsync("this is not an event");
        var garbage = Assert.Single((await kit.Events.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value);
        Assert.Equal("this is not an event", garbage.Body.ToString());
        Assert.Equal(1, garbage.DequeueCount);
        await Outbox.QueueFunctionInvoker.InvokeAsync(kit.Harness.Create<ProcessInboxEvent>(), garbage, CancellationToken.None);
        await kit.Events.DeleteMessageAsync(garbage.MessageId, garbage.PopReceipt);

        Assert.Empty(kit.Harness.EventsFor(drop.JobId).Skip(1));
        await kit.AssertQueuesEmptyAsync();
    }

    private static string ElidedDataUri(byte[] png) => $"data:image/png;base64,…({Convert.ToBase64String(png).Length} chars elided)";

    private static void AssertStatus(string expected, JsonElement job) =>
        Assert.True(job.GetProperty("status").GetString() == expected, $"Expected {expected}: {job}");

    private static JsonObject Example(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", file)))!.AsObject();

    private static string LastGenerationBody(DropKit kit) =>
        kit.Harness.Emulator.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal)).Body!;
}
