namespace Seedream.Functions.Storage;

/// <summary>
/// Runs a creation step (containers, queues, a table) once per owner: the first caller creates, callers arriving
/// meanwhile wait for it, later ones return at once. A failed attempt is not remembered; the next caller tries again.
/// </summary>
public sealed class CreateOnce
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _done;

    /// <summary>Runs <paramref name="create"/> unless a call already completed it.</summary>
    public async ValueTask EnsureAsync(Func<CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_done)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_done)
            {
                await create(cancellationToken).ConfigureAwait(false);
                _done = true;
            }
        }
        finally
        {
            _lock.Release();
        }
    }
}
