using System.Globalization;
using System.Text;
using System.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Seedream.Functions.Events;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;
using Seedream.Functions.Runtime;
using Seedream.Functions.View;

namespace Seedream.Functions.Tests;

/// <summary>
/// Promises that no test guarded (issue 20): each test here failed when its promise was broken in a scratch copy
/// (docs/testing.md, "Deliberate breakages tried").
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class PromiseGuardTests(PipelineFixture fixture)
{
    [Fact]
    public async Task The_pipeline_retries_a_429_through_the_client_and_pays_once()
    {
        // The other pipeline tests turn the client's rate-limit retry off; this one runs it as production does.
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:MaxRateLimitRetries"] = "2" });
        var marker = Guid.NewGuid().ToString("N");
        var prompt = $"a kite retried {marker}";
        harness.Emulator.Faults.Enqueue("rate-limit;retry-after=1");

        var job = await harness.SubmitAndRunAsync(TestRequests.Create(prompt));

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var posts = GenerationPosts(harness, marker);
        Assert.Equal([429, 200], posts.Select(post => post.ResponseStatus));
        Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!));
    }

    /// <summary>
    /// A gateway error may come after Seedream took the call (and billed it): neither the client, with its 429 retry
    /// on, nor the queue sends it again. One POST, and the job fails with the answer and advice on paying twice.
    /// </summary>
    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task The_pipeline_sends_a_call_answered_with_a_gateway_error_once(int status)
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:MaxRateLimitRetries"] = "2" });
        var marker = Guid.NewGuid().ToString("N");
        var prompt = $"a kite behind a gateway {marker} [emulator-fault:error;status={status.ToString(CultureInfo.InvariantCulture)}]";

        var job = await harness.SubmitAndRunAsync(TestRequests.Create(prompt));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(status, job.GetProperty("error").GetProperty("seedreamStatus").GetInt32());
        Assert.Contains("may still have been generated and billed", job.GetProperty("error").GetProperty("advice").GetString(), StringComparison.Ordinal);
        Assert.Equal([status], GenerationPosts(harness, marker).Select(post => post.ResponseStatus));
        Assert.Equal(JobEventPublisher.FailedType, Assert.Single(harness.EventsFor(job.GetProperty("id").GetString()!)).Type);
    }

    [Fact]
    public async Task Image_read_urls_in_the_status_answer_last_the_configured_lifetime()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pipeline:ReadUrlLifetime"] = "00:17:00" });
        var id = (await harness.SubmitAndRunAsync(TestRequests.Create("a lighthouse with a short url"))).GetProperty("id").GetString()!;

        var before = DateTimeOffset.UtcNow;
        var image = (await harness.GetJobAsync(id)).Json.GetProperty("images")[0];
        var after = DateTimeOffset.UtcNow;

        var expiresOn = image.GetProperty("urlExpiresOn").GetDateTimeOffset();
        var signedExpiry = DateTimeOffset.Parse(HttpUtility.ParseQueryString(new Uri(image.GetProperty("url").GetString()!).Query)["se"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expiresOn, before.AddMinutes(17).AddSeconds(-1), after.AddMinutes(17).AddSeconds(1));
        // The SAS itself carries the same expiry (to the second), not a longer one.
        Assert.InRange(signedExpiry, expiresOn.AddSeconds(-1), expiresOn.AddSeconds(1));
    }

    [Fact]
    public async Task A_long_prompt_is_html_encoded_in_its_clipped_preview_and_its_expansion()
    {
        await using var harness = fixture.CreateHarness();
        var prompt = "<script>alert('preview')</script> " + new string('a', JobViewPage.PromptPreviewCharacters) + " <img src=x onerror=alert('expanded')>";
        var id = "long-" + Guid.NewGuid().ToString("N")[..12];
        await harness.EnqueueRawAsync(TestRequests.Create(prompt, configure: request => request["id"] = id));
        await harness.RunQueuesAsync();

        var html = (await ViewGenerationTests.ViewAsync(harness, id)).Text;

        Assert.Contains("Show the whole prompt", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        // The preview (the first paragraph) and the expansion each begin with the encoded script.
        Assert.StartsWith("&lt;script&gt;alert(", html[(html.IndexOf("<p class=\"prompt\">", StringComparison.Ordinal) + "<p class=\"prompt\">".Length)..], StringComparison.Ordinal);
        Assert.True(CountOf(html, "<p class=\"prompt\">&lt;script&gt;alert(") == 2, html);
        Assert.Contains("&lt;img src=x", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancel_whose_event_publish_fails_still_delivers_one_Cancelled_event_through_the_queue()
    {
        await using var harness = fixture.CreateHarness();
        var accepted = await harness.SubmitAsync(TestRequests.Create("a harbour whose cancel event fails once"));
        var id = accepted.Json.GetProperty("id").GetString()!;
        // 400 is not retried by the publisher's own pipeline: the one publish the cancel makes fails.
        fixture.EventGrid.Faults.FailNext(1, status: 400);
        var attempts = fixture.EventGrid.Faults.Attempts;

        var cancel = await harness.CancelAsync(id);

        Assert.Equal(200, cancel.Status);
        // Awaited: the failed publish happened before the answer, and the queue was told to publish again.
        Assert.Equal(1, fixture.EventGrid.Faults.Attempts - attempts);
        Assert.Empty(harness.EventsFor(id));
        await harness.RunQueuesAsync();
        var cancelled = Assert.Single(harness.EventsFor(id));
        Assert.Equal(JobEventPublisher.CancelledType, cancelled.Type);
    }

    [Fact]
    public async Task The_poison_handler_returns_after_it_dead_lettered_a_message_it_could_not_end()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // Storage fails under the handler (its jobs container is gone): the job cannot be created or ended.
        await harness.Storage.Jobs.DeleteAsync();
        var message = QueueFunctionExtensions.Message(TestRequests.Create("a poison that cannot be ended"), dequeueCount: 1);

        var thrown = await Record.ExceptionAsync(() => harness.Create<ProcessPoisonGenerationRequest>().RunAsync(message, CancellationToken.None));

        // A trigger on a poison queue has no poison queue of its own: a throw would redeliver the message forever.
        Assert.Null(thrown);
        var deadLetters = harness.Services.GetRequiredService<DeadLetters>();
        var letter = await deadLetters.Container.GetBlobClient(DeadLetters.BlobName(harness.Storage.GenerationRequestsPoison.Name, message.MessageId)).GetPropertiesAsync();
        Assert.Equal(GenerationRequestConsumer.HandlerFailedCode, letter.Value.Metadata["code"]);
    }

    [Fact]
    public void Idle_memory_release_is_started_with_the_app()
    {
        using var services = new ServiceCollection().AddLogging().AddSeedreamPipeline(LocalSettings()).BuildServiceProvider();

        Assert.Single(services.GetServices<IHostedService>().OfType<IdleMemoryRelease>());
    }

    private static List<SeedreamEmulator.ReceivedRequest> GenerationPosts(PipelineHarness harness, string marker) =>
        [.. harness.Emulator.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal) && r.Body is { } body && body.Contains(marker, StringComparison.Ordinal))];

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static IConfiguration LocalSettings() =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Seedream:BaseUrls:0"] = "http://127.0.0.1:5080/v1",
            ["Seedream:ApiKey"] = "local-seedream-key",
            ["EventGrid:TopicEndpoint"] = "http://127.0.0.1:5090/api/events",
            ["EventGrid:TopicKey"] = "local-eventgrid-key",
        }).Build();
}
