using Microsoft.Extensions.Logging;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Processing;

/// <summary>Another delivery owns the job now (its lease, or the job ended); this one stops without writing.</summary>
internal sealed class LeaseLostException() : Exception("Another delivery owns the job now.");

/// <summary>A cancel was recorded on the job while this delivery held it; the delivery stops at this point.</summary>
internal sealed class CancelRequestedException() : Exception("The job was cancelled.");

/// <summary>
/// One delivery's handle on a job record: the latest version it read or wrote, and its lease. Every write is a
/// compare-and-swap (ETag); a lost race reloads the record so that the caller decides again.
/// </summary>
internal sealed class JobWriter
{
    private readonly JobStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _leaseDuration;
    private readonly ILogger _logger;

    public JobWriter(JobStore store, TimeProvider time, TimeSpan leaseDuration, ILogger logger, string owner, StoredJob stored)
    {
        _store = store;
        _time = time;
        _leaseDuration = leaseDuration;
        _logger = logger;
        Owner = owner;
        Stored = stored;
    }

    /// <summary>This delivery's id, written into leases and publish claims.</summary>
    public string Owner { get; }

    public StoredJob Stored { get; private set; }

    public GenerationJob Job => Stored.Job;

    public DateTimeOffset Now => _time.GetUtcNow();

    public JobLease NewLease() => new(Owner, Now + _leaseDuration);

    /// <summary>Applies <paramref name="change"/> and writes it if the record is still the version held; on conflict reloads and returns false.</summary>
    public async Task<bool> TryWriteAsync(Action<GenerationJob> change, CancellationToken cancellationToken)
    {
        change(Job);
        var written = await _store.TryReplaceAsync(Stored, cancellationToken).ConfigureAwait(false);
        if (written is not null)
        {
            Stored = written;
            return true;
        }

        await ReloadAsync(cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// A write by the lease owner, renewing the lease. If another delivery took the job over (or ended it), throws
    /// <see cref="LeaseLostException"/>. A cancel recorded meanwhile is honoured after the change is written: the
    /// change (an image stored, say) stays, and <see cref="CancelRequestedException"/> stops the delivery.
    /// </summary>
    public async Task WriteOwnedAsync(Action<GenerationJob> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var written = await TryWriteAsync(job =>
            {
                change(job);
                if (!job.IsTerminal)
                {
                    job.Lease = NewLease();
                }
            }, cancellationToken).ConfigureAwait(false);
            if (written)
            {
                if (!Job.IsTerminal && Job.CancelRequestedAt is not null)
                {
                    throw new CancelRequestedException();
                }

                return;
            }

            if (Job.IsTerminal || Job.Lease?.Owner != Owner)
            {
                throw new LeaseLostException();
            }
        }
    }

    /// <summary>
    /// Between images: re-reads the record only if its ETag changed, and stops this delivery if the job was cancelled
    /// or taken over meanwhile. One small conditional request per image, never per byte.
    /// </summary>
    public async Task ThrowIfNoLongerOwnedAsync(CancellationToken cancellationToken)
    {
        if (await _store.GetIfChangedAsync(Stored, cancellationToken).ConfigureAwait(false) is { } newer)
        {
            Stored = newer;
        }

        if (Job.IsTerminal || Job.Lease?.Owner != Owner)
        {
            throw new LeaseLostException();
        }

        if (Job.CancelRequestedAt is not null)
        {
            throw new CancelRequestedException();
        }
    }

    public async Task ReloadAsync(CancellationToken cancellationToken) =>
        Stored = await _store.GetAsync(Job.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Job {Job.Id} disappeared while it was being processed.");

    /// <summary>After an unexpected failure: frees the job (or its publish claim) for the next delivery, unless the generation call's outcome is open.</summary>
    public async Task ReleaseAfterFailureAsync()
    {
        try
        {
            if (Job.Lease?.Owner == Owner && Job.Phase != GenerationPhase.Requested)
            {
                Job.Lease = null;
                await _store.TryReplaceAsync(Stored, CancellationToken.None).ConfigureAwait(false);
            }
            else if (Job.TerminalEvent is { PublishedAt: null } terminal && terminal.ClaimedBy == Owner)
            {
                terminal.ClaimedBy = null;
                terminal.ClaimExpiresAt = null;
                await _store.TryReplaceAsync(Stored, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not release job {JobId}; its lease expires by itself.", Job.Id);
        }
    }
}
