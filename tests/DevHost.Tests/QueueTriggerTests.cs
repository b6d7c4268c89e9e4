using Azure.Storage.Queues;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class QueueTriggerTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestDevHost _host = null!;

    public async Task InitializeAsync() => _host = await TestDevHost.StartAsync(azurite);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task FailingMessage_IsRetriedAfterVisibilityTimeout_ThenMovedToPoisonQueue()
    {
        var body = "fail-" + Guid.NewGuid();
        await _host.WorkPoisonQueue.CreateIfNotExistsAsync();

        await _host.WorkQueue.SendMessageAsync(body);

        // Moved to the poison queue after maxDequeueCount (3) attempts; no function reads it (see RealHostRulesTests).
        var poisoned = await PeekUntilVisibleAsync(_host.WorkPoisonQueue, TimeSpan.FromSeconds(20));
        Assert.Equal(body, Assert.Single(poisoned).Body.ToString());
        var attempts = _host.Recorder.For("SampleWork", body);
        Assert.Equal([1L, 2L, 3L], attempts.Select(a => a.DequeueCount));
        for (var i = 1; i < attempts.Count; i++)
        {
            var gap = attempts[i].At - attempts[i - 1].At;
            Assert.True(gap >= TimeSpan.FromMilliseconds(950), $"Retry {i} came {gap.TotalMilliseconds} ms after the previous attempt; visibilityTimeout is 1 s.");
        }

        await TestDevHost.WaitUntilEmptyAsync(_host.WorkQueue, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SucceedingMessage_IsInvokedOnceAndDeleted()
    {
        var body = "ok-" + Guid.NewGuid();

        await _host.WorkQueue.SendMessageAsync(body);

        var invocations = await _host.WaitForAsync("SampleWork", body, count: 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, invocations.Single().DequeueCount);
        // An undeleted message would still be counted while leased (the count includes invisible messages).
        await TestDevHost.WaitUntilEmptyAsync(_host.WorkQueue, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Base64Message_FromQueueClient_ArrivesAsTheSameText()
    {
        var body = $$"""{"prompt":"猫 ✓ <&> \"quoted\"","id":"{{Guid.NewGuid()}}"}""";

        await _host.TextQueue.SendMessageAsync(body);

        var received = await _host.WaitForAsync("SampleText", body, count: 1, TimeSpan.FromSeconds(10));
        Assert.Single(received);
    }

    [Fact]
    public async Task MessageThatIsNotBase64_IsMovedToPoisonQueueUnchanged()
    {
        var rawText = "not base64 % " + Guid.NewGuid();
        var rawQueue = new QueueClient(azurite.ConnectionString, _host.TextQueue.Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

        await rawQueue.SendMessageAsync(rawText);

        var rawPoison = new QueueClient(azurite.ConnectionString, _host.TextQueue.Name + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await rawPoison.ExistsAsync() || (await rawPoison.PeekMessagesAsync(1)).Value.Length == 0)
        {
            await Task.Delay(25, deadline.Token);
        }

        Assert.Equal(rawText, (await rawPoison.PeekMessagesAsync(1)).Value[0].Body.ToString());
        Assert.DoesNotContain(_host.Recorder.Invocations, i => i.Body == rawText);
        await TestDevHost.WaitUntilEmptyAsync(_host.TextQueue, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Shutdown_CancelsInFlightInvocation_AndReleasesItsMessage()
    {
        var body = "block-" + Guid.NewGuid();
        await _host.WorkQueue.SendMessageAsync(body);
        await _host.WaitForAsync("SampleWorkStarted", body, count: 1, TimeSpan.FromSeconds(10));

        await _host.App.StopAsync();

        var cancelled = _host.Recorder.For("SampleWork", body);
        Assert.True(Assert.Single(cancelled).Cancelled);
        // Released with no visibility delay: another host can take it at once. Azurite may need a moment under load
        // before a message made visible "now" shows in a peek; 5 s is far below the 1 min lease it would wait otherwise.
        var visible = await PeekUntilVisibleAsync(_host.WorkQueue, TimeSpan.FromSeconds(5));
        Assert.Equal(body, Assert.Single(visible).Body.ToString());
    }

    private static async Task<Azure.Storage.Queues.Models.PeekedMessage[]> PeekUntilVisibleAsync(QueueClient queue, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var peeked = (await queue.PeekMessagesAsync(32)).Value;
            if (peeked.Length > 0 || DateTime.UtcNow > deadline)
            {
                return peeked;
            }

            await Task.Delay(50);
        }
    }
}
