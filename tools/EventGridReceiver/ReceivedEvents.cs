using Azure.Messaging;

namespace EventGridReceiver;

/// <summary>The events a receiver has accepted, in arrival order. Thread-safe.</summary>
public sealed class ReceivedEvents
{
    private readonly List<CloudEvent> _events = [];
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyList<CloudEvent> Snapshot()
    {
        lock (_events)
        {
            return _events.ToArray();
        }
    }

    public void Add(IEnumerable<CloudEvent> events)
    {
        TaskCompletionSource changed;
        lock (_events)
        {
            _events.AddRange(events);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.SetResult();
    }

    public void Clear()
    {
        lock (_events)
        {
            _events.Clear();
        }
    }

    /// <summary>
    /// Completes with the first <paramref name="count"/> received events matching <paramref name="predicate"/>
    /// (including those received before the call); throws <see cref="TimeoutException"/> listing what did arrive.
    /// </summary>
    public async Task<IReadOnlyList<CloudEvent>> WaitForAsync(
        Func<CloudEvent, bool> predicate, int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            List<CloudEvent> matching;
            lock (_events)
            {
                matching = _events.Where(predicate).Take(count).ToList();
                changed = _changed.Task;
            }

            if (matching.Count >= count)
            {
                return matching;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var received = string.Join(", ", Snapshot().Select(e => $"{e.Type} {e.Subject}"));
                throw new TimeoutException(
                    $"Expected {count} matching event(s) within {timeout.TotalSeconds:0.###} s, got {matching.Count}. Received: [{received}]");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
