namespace Seedream.Functions.Thumbnails;

/// <summary>
/// A semaphore counted in bytes: work is admitted while the bytes it was admitted with fit in the budget, first come
/// first served. Work larger than the whole budget is admitted alone.
/// </summary>
public sealed class MemoryBudget
{
    private readonly long _capacity;
    private readonly LinkedList<(long Bytes, TaskCompletionSource Admitted)> _waiting = new();
    private readonly Lock _lock = new();
    private long _inUse;

    public MemoryBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>Bytes admitted now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit, and holds them until the returned handle is disposed.</summary>
    public async Task<IDisposable> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        bytes = Math.Min(Math.Max(bytes, 1), _capacity);
        TaskCompletionSource admitted;
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && _inUse + bytes <= _capacity)
            {
                _inUse += bytes;
                return new Release(this, bytes);
            }

            admitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast((bytes, admitted));
        }

        using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (admitted.Task.IsCompleted)
                {
                    return;
                }

                _waiting.Remove(node);
                AdmitWaiting();
            }

            admitted.TrySetCanceled(cancellationToken);
        }))
        {
            await admitted.Task.ConfigureAwait(false);
        }

        return new Release(this, bytes);
    }

    private void Return(long bytes)
    {
        lock (_lock)
        {
            _inUse -= bytes;
            AdmitWaiting();
        }
    }

    /// <summary>Admits waiters in order while the first one fits (under the lock).</summary>
    private void AdmitWaiting()
    {
        while (_waiting.First is { } first && _inUse + first.Value.Bytes <= _capacity)
        {
            _waiting.RemoveFirst();
            _inUse += first.Value.Bytes;
            first.Value.Admitted.TrySetResult();
        }
    }

    private sealed class Release(MemoryBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                budget.Return(bytes);
            }
        }
    }
}
