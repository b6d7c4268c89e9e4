namespace SeedreamEmulator;

/// <summary>
/// Bounded LRU of encoded images. Benchmarks ask for the same large noise images repeatedly and encoding
/// them is far slower than serving them; concurrent requests for one image share a single encode.
/// </summary>
internal sealed class EncodedImageCache(EmulatorOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ImageKey, LinkedListNode<Slot>> _slots = [];
    private readonly LinkedList<Slot> _recency = new();
    private long _cachedBytes;

    private sealed class Slot(ImageKey key, Task<byte[]> encoding)
    {
        public ImageKey Key { get; } = key;
        public Task<byte[]> Encoding { get; } = encoding;
        public long Bytes { get; set; }
    }

    public Task<byte[]> GetAsync(ImageKey key, CancellationToken cancellationToken)
    {
        LinkedListNode<Slot> node;
        lock (_gate)
        {
            if (_slots.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _recency.AddFirst(existing);
                return existing.Value.Encoding.WaitAsync(cancellationToken);
            }

            node = new LinkedListNode<Slot>(new Slot(key, Task.Run(() => ImageRenderer.Render(key), CancellationToken.None)));
            _slots.Add(key, node);
            _recency.AddFirst(node);
        }

        _ = node.Value.Encoding.ContinueWith(encoding => OnEncoded(node, encoding), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return node.Value.Encoding.WaitAsync(cancellationToken);
    }

    private void OnEncoded(LinkedListNode<Slot> node, Task<byte[]> encoding)
    {
        lock (_gate)
        {
            if (node.List is null)
            {
                return;
            }

            if (!encoding.IsCompletedSuccessfully)
            {
                Remove(node);
                return;
            }

            node.Value.Bytes = encoding.Result.LongLength;
            _cachedBytes += node.Value.Bytes;
            var candidate = _recency.Last;
            while (_cachedBytes > options.ImageCacheBytes && candidate is not null)
            {
                var previous = candidate.Previous;
                if (candidate.Value.Encoding.IsCompleted)
                {
                    Remove(candidate);
                }

                candidate = previous;
            }
        }
    }

    private void Remove(LinkedListNode<Slot> node)
    {
        _recency.Remove(node);
        _slots.Remove(node.Value.Key);
        _cachedBytes -= node.Value.Bytes;
    }
}
