namespace EventGridReceiver;

/// <summary>What the receiver does to a publish request instead of accepting it.</summary>
public enum PublishFaultKind
{
    /// <summary>Answer with <see cref="PublishFault.Status"/> (500 unless given) and record nothing.</summary>
    Fail,

    /// <summary>Hold the answer for <see cref="PublishFault.Delay"/>; if the publisher gives up first, nothing is recorded.</summary>
    Delay,

    /// <summary>Read the request, then close the connection without an answer; nothing is recorded.</summary>
    Drop,
}

/// <summary>A fault for the next <see cref="Count"/> publish requests (requests with the right key, in arrival order).</summary>
public sealed record PublishFault(PublishFaultKind Kind, int Count = 1, int? Status = null, TimeSpan? Delay = null)
{
    /// <summary>Checks the fault can be applied; the message names every field at fault.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Kind))
        {
            errors.Add("kind: one of fail, delay, drop.");
        }

        if (Count is < 1 or > 10_000)
        {
            errors.Add("count: from 1 to 10000.");
        }

        if (Status is { } status && (Kind != PublishFaultKind.Fail || status is < 400 or > 599))
        {
            errors.Add("status: only for fail, from 400 to 599.");
        }

        if (Kind == PublishFaultKind.Delay ? Delay is not { } delay || delay <= TimeSpan.Zero || delay > TimeSpan.FromHours(1) : Delay is not null)
        {
            errors.Add("delay: required for delay (and only there), above zero and at most one hour, e.g. \"00:00:05\".");
        }

        return errors;
    }
}

/// <summary>Faults queued for the next publish requests, taken one request at a time. Thread-safe.</summary>
public sealed class PublishFaults
{
    private readonly LinkedList<(PublishFault Fault, int Left)> _pending = new();
    private int _attempts;

    /// <summary>Publish requests that presented the right key, faulted or not.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Queues <paramref name="fault"/> behind the faults already queued.</summary>
    public void Add(PublishFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var errors = fault.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(fault));
        }

        lock (_pending)
        {
            _pending.AddLast((fault, fault.Count));
        }
    }

    /// <summary>Fails the next <paramref name="count"/> publishes with <paramref name="status"/>.</summary>
    public void FailNext(int count, int status = 500) => Add(new PublishFault(PublishFaultKind.Fail, count, status));

    /// <summary>Holds the answer to the next <paramref name="count"/> publishes for <paramref name="delay"/>.</summary>
    public void DelayNext(int count, TimeSpan delay) => Add(new PublishFault(PublishFaultKind.Delay, count, Delay: delay));

    /// <summary>Closes the connection of the next <paramref name="count"/> publishes without an answer.</summary>
    public void DropNext(int count) => Add(new PublishFault(PublishFaultKind.Drop, count));

    /// <summary>The faults still queued, each with the requests it has left.</summary>
    public IReadOnlyList<PublishFault> Pending()
    {
        lock (_pending)
        {
            return _pending.Select(p => p.Fault with { Count = p.Left }).ToArray();
        }
    }

    public void Clear()
    {
        lock (_pending)
        {
            _pending.Clear();
        }
    }

    /// <summary>Counts a publish request and returns the fault it gets, if any.</summary>
    internal PublishFault? Next()
    {
        Interlocked.Increment(ref _attempts);
        lock (_pending)
        {
            if (_pending.First is not { } first)
            {
                return null;
            }

            var (fault, left) = first.Value;
            if (left <= 1)
            {
                _pending.RemoveFirst();
            }
            else
            {
                first.Value = (fault, left - 1);
            }

            return fault;
        }
    }
}
