using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Pacing;

/// <summary>
/// Models Seedream answered <c>QuotaExceeded</c> / <c>SetLimitExceeded</c> for, for <see cref="PacingOptions.PausedFor"/>:
/// a blob per model (<c>jobs/pacing/{model}/paused.json</c>) that every instance reads before a call (cached for a
/// few seconds), so the other waiting jobs of that model fail with the provider's advice instead of calling again.
/// </summary>
public sealed class ModelPauseBoard
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly PipelineStorage _storage;
    private readonly PacingOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, ModelPause? Pause)> _cache = new(StringComparer.Ordinal);

    public ModelPauseBoard(PipelineStorage storage, IOptions<PacingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _storage = storage;
        _options = options.Value;
        _time = time;
    }

    /// <summary>The live pause of <paramref name="model"/>, if any.</summary>
    public async Task<ModelPause?> FindAsync(string model, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!_cache.TryGetValue(model, out var cached) || now - cached.ReadAt > CacheFor)
        {
            ModelPause? pause = null;
            try
            {
                var content = await BlobOf(model).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                pause = content.Value.Content.ToObjectFromJson<ModelPause>(JsonSerializerOptions.Web);
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
            {
            }

            cached = (now, pause);
            _cache[model] = cached;
        }

        return cached.Pause is { } found && found.Until > now ? found : null;
    }

    /// <summary>Marks <paramref name="model"/> paused with the job error every job of it should end with meanwhile.</summary>
    public async Task PauseAsync(string model, JobError error, CancellationToken cancellationToken)
    {
        var pause = new ModelPause(error, _time.GetUtcNow() + _options.PausedFor);
        await BlobOf(model).UploadAsync(BinaryData.FromObjectAsJson(pause, JsonSerializerOptions.Web),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken).ConfigureAwait(false);
        _cache[model] = (_time.GetUtcNow(), pause);
    }

    private Azure.Storage.Blobs.BlobClient BlobOf(string model) => _storage.Jobs.GetBlobClient($"pacing/{Uri.EscapeDataString(model)}/paused.json");
}

/// <summary>A paused model: the error its jobs end with, until when.</summary>
public sealed record ModelPause(JobError Error, DateTimeOffset Until);
