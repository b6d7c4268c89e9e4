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
/// One token bucket per model in a blob beside the job records (<c>jobs/pacing/{model}/budget.json</c>), changed
/// only by ETag compare-and-swap, so every instance draws from the same budget without a coordinator process. The
/// bucket refills <see cref="RefillPerWindow"/> images per window and holds at most <see cref="Burst"/>; a call may
/// overdraw it by its own size (so a 15-image call is never starved by 1-image calls that each fit), and
/// refill + burst + one overdraft stay below the limit, so the provider's sliding minute is never exceeded.
/// A refused call reads the blob once and waits outside the worker; only a grant writes.
/// </summary>
public sealed class SharedBudgetPacer : GenerationPacer
{
    private const int MaxCasAttempts = 8;

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
    }

    /// <summary>Images the bucket refills per window: <c>TargetShare × (limit − 15)</c>.</summary>
    public double RefillPerWindow => _options.TargetShare * Math.Max(1, _options.ImagesPerMinute - JobOutcomeRules.MaxSeriesImages);

    /// <summary>The bucket's size: what is left of <c>limit − 15</c> after the refill (at least one image).</summary>
    public double Burst => Math.Max(1, _options.ImagesPerMinute - JobOutcomeRules.MaxSeriesImages - RefillPerWindow);

    private double RefillPerSecond => RefillPerWindow / _options.Window.TotalSeconds;

    /// <summary>Bulk calls leave this many tokens in the bucket for interactive ones.</summary>
    private double Threshold(GenerationPriority priority) => priority == GenerationPriority.Bulk ? Math.Max(1, Burst * _options.InteractiveReserve) : 1;

    public override async ValueTask<PacingDecision> AcquireAsync(string model, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        var writer = _writers.GetOrAdd(model, _ => new SemaphoreSlim(1, 1));
        await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AcquireOnceAsync(model, images, priority, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.Release();
        }
    }

    private async ValueTask<PacingDecision> AcquireOnceAsync(string model, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        var threshold = Threshold(priority);
        for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
        {
            var (bucket, etag) = await ReadAsync(model, cancellationToken).ConfigureAwait(false);
            if (bucket.Tokens < threshold)
            {
                // Come back when the refill reaches the threshold, spread over a quarter of the window: waiting jobs
                // return one by one rather than at once, and a large backlog costs few looks (each reads the blob).
                var due = (threshold - bucket.Tokens) / RefillPerSecond;
                var spread = Math.Max(1, _options.Window.TotalSeconds / 4) * Random.Shared.NextDouble();
                return PacingDecision.Later(TimeSpan.FromSeconds(due + spread));
            }

            if (await TryWriteAsync(model, bucket with { Tokens = bucket.Tokens - images }, etag, cancellationToken).ConfigureAwait(false))
            {
                return PacingDecision.Now(new Grant(this, model));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), _time, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogDebug("Pacing budget of {Model}: {Attempts} writes lost to other instances; waiting.", model, MaxCasAttempts);
        return PacingDecision.Later(TimeSpan.FromSeconds(0.5 + Random.Shared.NextDouble()));
    }

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
