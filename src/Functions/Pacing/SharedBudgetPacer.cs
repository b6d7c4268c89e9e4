using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Processing;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Pacing;

/// <summary>
/// One sliding-window ledger per model in a blob beside the job records (<c>jobs/pacing/{model}/ledger.json</c>): the
/// images granted or booked per quarter second (<see cref="PacingLedger"/>), changed only by ETag compare-and-swap, so
/// every instance draws from the same window without a coordinator process.
/// <para>A job the window has room for now is granted. Otherwise it books the earliest slot with room for its images,
/// and waits outside the worker (a delayed message) until ¾ of <see cref="PacingOptions.HoldWithin"/> before it; back
/// in time, it finds its booking (a read, no write) and waits the rest in process, at most HoldWithin. That short wait
/// is for a slot already its own, not a refusal: it replaces the queue's polling delay (up to seconds of an idle window
/// each time) with an exact start, and the worker is held seconds, not the minutes a 429 backoff takes.</para>
/// <para>A job back more than ¾ of the slack after its slot gives the missed booking back and books anew; so does a job
/// back after a refusal (the provider did not count the refused call). A call not sent gives its images back.</para>
/// </summary>
public sealed class SharedBudgetPacer : GenerationPacer
{
    private const int MaxCasAttempts = 16;

    private readonly PipelineStorage _storage;
    private readonly PacingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedBudgetPacer> _logger;

    // One compare-and-swap at a time per model from this instance: its workers would otherwise mostly lose to each
    // other, and the contention on the blob stays one writer per instance.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writers = new(StringComparer.Ordinal);

    public SharedBudgetPacer(PipelineStorage storage, IOptions<PacingOptions> options, TimeProvider time, ILogger<SharedBudgetPacer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _storage = storage;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Ledger = new PacingLedger(_options);
    }

    /// <summary>The ledger's arithmetic (windows, caps, design ceiling).</summary>
    public PacingLedger Ledger { get; }

    public override async ValueTask<PacingDecision> AcquireAsync(string model, string job, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        var writer = _writers.GetOrAdd(model, _ => new SemaphoreSlim(1, 1));
        LedgerEntry? granted;
        TimeSpan wait;
        await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            (granted, wait) = await PlaceAsync(model, job, images, priority, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.Release();
        }

        if (granted is null)
        {
            return PacingDecision.Later(wait);
        }

        // The slot is this call's own: wait for its start here (at most HoldWithin) rather than in the queue.
        var hold = PacingLedger.StartOf(granted.Slot) - _time.GetUtcNow();
        if (hold > TimeSpan.Zero)
        {
            await Task.Delay(hold, _time, cancellationToken).ConfigureAwait(false);
        }

        return PacingDecision.Now(new Grant(this, model, granted));
    }

    /// <summary>The job's slot when it is within HoldWithin (granted), or how long to wait outside the worker.</summary>
    private async Task<(LedgerEntry? Granted, TimeSpan Wait)> PlaceAsync(string model, string job, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
        {
            var (entries, etag) = await ReadAsync(model, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var nowSlot = PacingLedger.SlotOf(now);
            var live = Ledger.Live(entries, nowSlot);
            var stillOnTime = PacingLedger.SlotOf(now - (_options.ArrivalSlack * 0.75));
            if (live.LastOrDefault(e => e.Job == job && e.Images == images && e.Slot >= stillOnTime) is { } booked)
            {
                // Back for its booking: no write.
                return Decide(booked, now);
            }

            // A booking this job missed (or the slot of its refused call: the provider did not count it) is given back.
            if (live.RemoveAll(e => e.Job == job && e.Slot <= nowSlot) > 0)
            {
                _logger.LogInformation("Pacing ledger of {Model}: job {Job} came back after its slot; booking again.", model, job);
            }

            var entry = new LedgerEntry(Ledger.Earliest(live, nowSlot, images, priority), images, job);
            live.Add(entry);
            if (await TryWriteAsync(model, live, etag, cancellationToken).ConfigureAwait(false))
            {
                return Decide(entry, now);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), _time, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogDebug("Pacing ledger of {Model}: {Attempts} writes lost to other instances; waiting.", model, MaxCasAttempts);
        return (null, TimeSpan.FromSeconds(0.5 + Random.Shared.NextDouble()));
    }

    private (LedgerEntry? Granted, TimeSpan Wait) Decide(LedgerEntry entry, DateTimeOffset now)
    {
        var until = PacingLedger.StartOf(entry.Slot) - now;
        // Back three quarters of HoldWithin early: the queue rounds the delay up to a whole second and polls every
        // few seconds, and the rest is waited in process.
        return until <= _options.HoldWithin ? (entry, TimeSpan.Zero) : (null, until - (_options.HoldWithin * 0.75));
    }

    /// <summary>A granted call that was not sent gives its images back.</summary>
    private async ValueTask ReleaseAsync(string model, LedgerEntry entry)
    {
        for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
        {
            var (entries, etag) = await ReadAsync(model, CancellationToken.None).ConfigureAwait(false);
            if (!entries.Remove(entry) || await TryWriteAsync(model, entries, etag, CancellationToken.None).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<(List<LedgerEntry> Entries, ETag? ETag)> ReadAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            var content = await BlobOf(model).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var stored = content.Value.Content.ToObjectFromJson<StoredLedger>(JsonSerializerOptions.Web);
            return (stored?.Entries?.ToList() ?? [], content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return ([], null);
        }
    }

    private async Task<bool> TryWriteAsync(string model, List<LedgerEntry> entries, ETag? etag, CancellationToken cancellationToken)
    {
        var conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            await BlobOf(model).UploadAsync(BinaryData.FromObjectAsJson(new StoredLedger(entries), JsonSerializerOptions.Web),
                new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    private Azure.Storage.Blobs.BlobClient BlobOf(string model) => _storage.Jobs.GetBlobClient($"pacing/{Uri.EscapeDataString(model)}/ledger.json");

    private sealed record StoredLedger(IReadOnlyList<LedgerEntry>? Entries);

    private sealed class Grant(SharedBudgetPacer pacer, string model, LedgerEntry entry) : PacingGrant
    {
        private int _completed;

        public override async ValueTask CompleteAsync(PacingOutcome outcome)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0 && outcome == PacingOutcome.NotSent)
            {
                await pacer.ReleaseAsync(model, entry).ConfigureAwait(false);
            }
        }
    }
}
