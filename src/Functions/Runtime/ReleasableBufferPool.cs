using System.Buffers;

namespace Seedream.Functions.Runtime;

/// <summary>
/// A pool of fixed-size buffers that keeps at most a given number of them between uses and lets go of all of them when
/// the app is idle (<see cref="IdleMemoryRelease"/>), so blocks kept for the next upload do not stay resident for
/// good after a burst of work. <see cref="ArrayPool{T}.Create(int, int)"/>'s pool, which this replaces for upload
/// blocks, never gives its arrays back: after a few concurrent jobs it held its full 96 MB.
/// </summary>
internal sealed class ReleasableBufferPool : ArrayPool<byte>
{
    private readonly Lock _gate = new();
    private readonly Stack<byte[]> _retained = new();
    private readonly int _bufferBytes;
    private readonly int _maxRetained;

    public ReleasableBufferPool(int bufferBytes, int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        _bufferBytes = bufferBytes;
        _maxRetained = maxRetained;
        IdleMemoryRelease.Register(this);
    }

    /// <summary>Buffers kept for reuse right now.</summary>
    public int RetainedCount
    {
        get
        {
            lock (_gate)
            {
                return _retained.Count;
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength > _bufferBytes)
        {
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        lock (_gate)
        {
            if (_retained.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(_bufferBytes);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length != _bufferBytes)
        {
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        lock (_gate)
        {
            if (_retained.Count < _maxRetained)
            {
                _retained.Push(array);
            }
        }
    }

    /// <summary>Drops every retained buffer; buffers rented now come back later and are kept again.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _retained.Clear();
        }
    }
}
