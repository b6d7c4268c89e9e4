using Seedream.Functions.Storage;

namespace Seedream.Functions.Tests;

/// <summary>The create-once gate the stores share: one creation for concurrent callers, tried again after a failure.</summary>
public sealed class CreateOnceTests
{
    [Fact]
    public async Task Concurrent_callers_wait_for_one_creation_and_later_callers_do_not_create_again()
    {
        var gate = new CreateOnce();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var creations = 0;
        async Task Create(CancellationToken token)
        {
            Interlocked.Increment(ref creations);
            await release.Task.WaitAsync(token);
        }

        var callers = Enumerable.Range(0, 8).Select(_ => gate.EnsureAsync(Create, CancellationToken.None).AsTask()).ToArray();
        await Task.Delay(50);
        Assert.All(callers, caller => Assert.False(caller.IsCompleted));

        release.SetResult();
        await Task.WhenAll(callers);
        await gate.EnsureAsync(Create, CancellationToken.None);

        Assert.Equal(1, creations);
    }

    [Fact]
    public async Task A_failed_creation_is_tried_again_by_the_next_caller()
    {
        var gate = new CreateOnce();
        var creations = 0;
        Task Create(CancellationToken token) =>
            Interlocked.Increment(ref creations) == 1 ? Task.FromException(new InvalidOperationException("storage down")) : Task.CompletedTask;

        await Assert.ThrowsAsync<InvalidOperationException>(() => gate.EnsureAsync(Create, CancellationToken.None).AsTask());
        await gate.EnsureAsync(Create, CancellationToken.None);
        await gate.EnsureAsync(Create, CancellationToken.None);

        Assert.Equal(2, creations);
    }
}
