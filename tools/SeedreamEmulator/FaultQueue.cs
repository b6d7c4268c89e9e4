namespace SeedreamEmulator;

/// <summary>Faults consumed, one per request, by the next generation requests.</summary>
public sealed class FaultQueue
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(FaultSpec Fault, int Remaining)> _entries = new();

    /// <summary>Applies <paramref name="spec"/> to the next <paramref name="count"/> generation requests.</summary>
    public void Enqueue(string spec, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var fault = FaultSpec.Parse(spec);
        lock (_gate)
        {
            _entries.AddLast((fault, count));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    /// <summary>Faults still queued, with how many requests each will still affect.</summary>
    public IReadOnlyList<(string Fault, int Remaining)> Pending
    {
        get
        {
            lock (_gate)
            {
                return _entries.Select(entry => (entry.Fault.Text, entry.Remaining)).ToList();
            }
        }
    }

    internal FaultSpec? TryDequeue()
    {
        lock (_gate)
        {
            var first = _entries.First;
            if (first is null)
            {
                return null;
            }

            var (fault, remaining) = first.Value;
            if (remaining <= 1)
            {
                _entries.RemoveFirst();
            }
            else
            {
                first.Value = (fault, remaining - 1);
            }

            return fault;
        }
    }
}
