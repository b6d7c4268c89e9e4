using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Events;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Tests;

/// <summary>The provider's four example requests, verbatim (url) and as b64_json, through HTTP, queue, Seedream, blobs and Event Grid.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ExampleRequestTests(PipelineFixture fixture)
{
    public static TheoryData<string, string> Examples => new()
    {
        { "text-to-image.json", "url" },
        { "image-to-image.json", "url" },
        { "multi-image-fusion.json", "url" },
        { "sequential-group.json", "url" },
        { "text-to-image.json", "b64_json" },
        { "image-to-image.json", "b64_json" },
        { "multi-image-fusion.json", "b64_json" },
        { "sequential-group.json", "b64_json" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_request_is_generated_stored_and_announced_once(string file, string responseFormat)
    {
        await using var harness = fixture.CreateHarness();
        var body = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", file));
        if (responseFormat == "b64_json")
        {
            var request = JsonNode.Parse(body)!.AsObject();
            request["response_format"] = "b64_json";
            body = request.ToJsonString();
        }

        var generationsBefore = harness.GenerationRequestCount();
        var job = await harness.SubmitAndRunAsync(body);
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, harness.GenerationRequestCount() - generationsBefore);
        var expectedImages = file == "sequential-group.json" ? 3 : 1;
        var images = job.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(expectedImages, images.Count);
        Assert.Equal(expectedImages, job.GetProperty("usage").GetProperty("generatedImages").GetInt32());
        Assert.Empty(job.GetProperty("failures").EnumerateArray());
        Assert.Equal(expectedImages, job.GetProperty("progress").GetProperty("imagesStored").GetInt32());

        var answer = (await harness.Services.GetService<JobStore>()!.GetAsync(id, CancellationToken.None))!.Job.Answer!;
        using var http = new HttpClient();
        for (var index = 0; index < expectedImages; index++)
        {
            var image = images[index];
            Assert.Equal(index, image.GetProperty("index").GetInt32());
            Assert.Equal($"{id}/{index}.png", image.GetProperty("blobName").GetString());
            Assert.Equal("image/png", image.GetProperty("contentType").GetString());

            var blob = harness.Storage.Images.GetBlobClient($"{id}/{index}.png");
            var stored = (await blob.DownloadContentAsync()).Value;
            var bytes = stored.Content.ToArray();
            Assert.Equal("image/png", stored.Details.ContentType);
            Assert.Equal("doubao-seedream-5-0-260128", stored.Details.Metadata["seedream_model"]);
            Assert.Equal(bytes.Length, image.GetProperty("bytes").GetInt64());
            Assert.True(bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "The blob is not a PNG.");
            var width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
            var height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
            Assert.Equal($"{width}x{height}", image.GetProperty("size").GetString());
            Assert.True((long)width * height >= 3_686_400, "2K output expected");

            if (responseFormat == "url")
            {
                // The blob holds exactly what Seedream served at the result URL.
                Assert.Equal(await http.GetByteArrayAsync(answer.Items.Single(i => i.Index == index).Url), bytes);
            }

            Assert.Equal(bytes, await http.GetByteArrayAsync(image.GetProperty("url").GetString()));
            var viaApi = await harness.GetImageAsync(id, index);
            Assert.Equal(200, viaApi.Status);
            Assert.Equal("image/png", viaApi.ContentType);
            Assert.Equal(bytes, viaApi.Body);
        }

        var completed = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.CompletedType, completed.Type);
        Assert.Equal($"{id}.completed", completed.Id);
        var data = JsonDocument.Parse(completed.Data!).RootElement;
        Assert.Equal(id, data.GetProperty("jobId").GetString());
        Assert.Equal("succeeded", data.GetProperty("status").GetString());
        Assert.Equal("doubao-seedream-5-0-260128", data.GetProperty("model").GetString());
        var eventImages = data.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(expectedImages, eventImages.Count);
        Assert.Equal(harness.Storage.Images.GetBlobClient($"{id}/0.png").Uri.ToString(), eventImages[0].GetProperty("blobUrl").GetString());
        Assert.Equal(images[0].GetProperty("bytes").GetInt64(), eventImages[0].GetProperty("bytes").GetInt64());
        Assert.Equal(expectedImages, data.GetProperty("usage").GetProperty("generatedImages").GetInt32());
        Assert.Equal("CNY", data.GetProperty("cost").GetProperty("currency").GetString());
        Assert.Equal(0.22m * expectedImages, data.GetProperty("cost").GetProperty("amount").GetDecimal());
    }
}
