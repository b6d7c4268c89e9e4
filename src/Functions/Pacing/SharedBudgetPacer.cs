using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>
/// One token bucket per model in a blob beside the job records (<c>jobs/pacing/{model}/budget.json</c>), changed
/// only by ETag compare-and-swap, so every instance draws from the same budget without a coordinator process. The
/// bucket refills <see cref="RefillPerWindow"/> images per window and holds at most <see cref="Burst"/>, and
/// refill + burst stay within the limit, so the provider's sliding minute is not exceeded. A call the bucket cannot
/// cover reserves its images (the bucket goes below zero) and waits outside the worker until the refill covers it,
/// then calls without looking again; beyond a short horizon it looks again later. (Before reservations a denied job
/// looked again after a jittered wait, and the refill between looks was lost whenever the small bucket was full; a call
/// could overdraw by its own size so as not to starve, which cost 15 images of every window.)
/// </summary>
public sealed class SharedBudgetPacer : GenerationPacer
{
    private const int MaxCasAttempts = 8;

    private readonly PipelineStorage _storage;
    private readonly PacingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedBudgetPacer> _logger;

    public SharedBudgetPacer(PipelineStorage storage, IOptions<PacingOptions> options, TimeProvider time, ILogger<SharedBudgetPacer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _storage = storage;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Images the bucket refills per window: <c>TargetShare × limit</c>.</summary>
    public double RefillPerWindow => _options.TargetShare * _options.ImagesPerMinute;

    /// <summary>The bucket's size: the rest of the limit (at least one image), so refill + burst never exceed it.</summary>
    public double Burst => Math.Max(1, _options.ImagesPerMinute - RefillPerWindow);

    private double RefillPerSecond => RefillPerWindow / _options.Window.TotalSeconds;

    /// <summary>Bulk calls leave this many tokens in the bucket for interactive ones.</summary>
    private double Reserve(GenerationPriority priority) => priority == GenerationPriority.Bulk ? Burst * _options.InteractiveReserve : 0;

    /// <summary>
    /// How far ahead a call may reserve: a quarter of the window for interactive work, less the interactive reserve for
    /// bulk work, so an interactive job never queues behind more than that of the backlog.
    /// </summary>
    private double HorizonSeconds(GenerationPriority priority) =>
        _options.Window.TotalSeconds / 4 * (priority == GenerationPriority.Bulk ? 1 - _options.InteractiveReserve : 1);

    public override async ValueTask<PacingDecision> AcquireAsync(string model, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        var needed = images + Reserve(priority);
        var horizon = HorizonSeconds(priority);
        for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
        {
            var (bucket, etag) = await ReadAsync(model, cancellationToken).ConfigureAwait(false);
            // When the refill covers the call (now, or later for a reservation); the tokens go below zero meanwhile.
            var due = Math.Max(0, needed - bucket.Tokens) / RefillPerSecond;
            if (due > horizon)
            {
                // Beyond the horizon: look again when a reservation is possible, spread over a sixteenth of the window
                // (the reservations already taken keep the provider busy meanwhile).
                var spread = Math.Max(0.25, _options.Window.TotalSeconds / 16) * Random.Shared.NextDouble();
                return PacingDecision.Later(TimeSpan.FromSeconds(due - horizon + spread));
            }

            if (await TryWriteAsync(model, bucket with { Tokens = bucket.Tokens - images }, etag, cancellationToken).ConfigureAwait(false))
            {
                // A call goes when the bucket holds all its images, so no window sees more than refill + burst. A call
                // that has to wait reserves them and calls without looking again: reservations are served in the order
                // taken, so a 15-image job is not starved by 1-image jobs, and no refill goes unused between looks.
                return due == 0 ? PacingDecision.Now(new Grant(this, model)) : PacingDecision.Reservation(TimeSpan.FromSeconds(due));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), _time, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogDebug("Pacing budget of {Model}: {Attempts} writes lost to other instances; waiting.", model, MaxCasAttempts);
        return PacingDecision.Later(TimeSpan.FromSeconds(0.5 + Random.Shared.NextDouble()));
    }

    public override PacingGrant Redeem(string model) => new Grant(this, model);

    /// <summary>A 429 despite the budget (another client of the account, a lower limit): empty the bucket for every instance.</summary>
    private async ValueTask DrainAsync(string model)
    {
        for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
        {
            var (bucket, etag) = await ReadAsync(model, CancellationToken.None).ConfigureAwait(false);
            if (bucket.Tokens <= 0 || await TryWriteAsync(model, bucket with { Tokens = 0 }, etag, CancellationToken.None).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<(Bucket Bucket, ETag? ETag)> ReadAsync(string model, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            var content = await BlobOf(model).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var stored = content.Value.Content.ToObjectFromJson<Bucket>(JsonSerializerOptions.Web) ?? new Bucket(Burst, now);
            var elapsed = Math.Max(0, (now - stored.At).TotalSeconds);
            return (new Bucket(Math.Min(Burst, stored.Tokens + (elapsed * RefillPerSecond)), now), content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return (new Bucket(Burst, now), null);
        }
    }

    private async Task<bool> TryWriteAsync(string model, Bucket bucket, ETag? etag, CancellationToken cancellationToken)
    {
        var conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            await BlobOf(model).UploadAsync(BinaryData.FromObjectAsJson(bucket, JsonSerializerOptions.Web),
                new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    private Azure.Storage.Blobs.BlobClient BlobOf(string model) => _storage.Jobs.GetBlobClient($"pacing/{Uri.EscapeDataString(model)}/budget.json");

    /// <summary>The stored bucket: tokens (negative while a call's overdraft is repaid) as of <c>At</c>.</summary>
    private sealed record Bucket(double Tokens, DateTimeOffset At);

    private sealed class Grant(SharedBudgetPacer pacer, string model) : PacingGrant
    {
        private int _completed;

        public override async ValueTask CompleteAsync(PacingOutcome outcome)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0 && outcome == PacingOutcome.RateLimited)
            {
                await pacer.DrainAsync(model).ConfigureAwait(false);
            }
        }
    }
}
