using Seedream.Functions.Events;
using Seedream.Functions.Processing;
using SeedreamEmulator;

namespace Seedream.Functions.Tests.Processing;

/// <summary>
/// "The rest of the answer is lost, never regenerated", end to end: a delivery stops while it reads a streamed answer
/// (the host shutting down), and the next delivery stores what the record holds, records the unread rest as
/// ResultLost and ends the job without a second Seedream call.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class LostAnswerScenarioTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_delivery_stopped_mid_stream_leaves_the_unread_images_lost_and_the_next_delivery_never_regenerates()
    {
        // Its own emulator, one image a second: the stop surely comes before the second image was sent.
        await using var emulator = await SeedreamEmulatorServer.StartAsync(options =>
        {
            options.ImageDelay = TimeSpan.FromSeconds(1);
            options.ExternalReferences = ExternalReferenceMode.Substitute;
        });
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?>
        {
            ["Seedream:BaseUrls:0"] = emulator.GatewayBaseUrl.ToString(),
            ["Seedream:ApiKey"] = emulator.ApiKey,
        });
        var accepted = await harness.SubmitAsync(TestRequests.Create("3 images of a quay", maxImages: 3, configure: r => r["stream"] = true));
        var id = accepted.Json.GetProperty("id").GetString()!;
        var message = (await harness.Storage.GenerationRequests.ReceiveMessageAsync()).Value;
        await harness.Storage.GenerationRequests.DeleteMessageAsync(message.MessageId, message.PopReceipt);

        using (var stop = new CancellationTokenSource())
        {
            harness.Hooks.ImageStored = (_, _) => stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), stop.Token));
            harness.Hooks.ImageStored = null;
        }

        Assert.Empty(harness.EventsFor(id));
        await harness.Create<ProcessGenerationRequest>().RunAsync(message.Body.ToString(), CancellationToken.None);

        var job = (await harness.GetJobAsync(id)).Json;
        Assert.Equal("partially_succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["0"], job.GetProperty("images").Strings("index"));
        var lost = Assert.Single(job.GetProperty("failures").EnumerateArray());
        Assert.Equal(GenerationRunner.ResultLostCode, lost.GetProperty("code").GetString());
        Assert.Equal(1, lost.GetProperty("index").GetInt32());
        Assert.Single(emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal));
        Assert.Equal(JobEventPublisher.CompletedType, Assert.Single(harness.EventsFor(id)).Type);
    }
}
