using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Models;

/// <summary>Whether the provider offers a model.</summary>
public enum ModelAvailability
{
    /// <summary>The catalog lists it.</summary>
    Listed,

    /// <summary>The catalog was read and does not list it: the request cannot succeed.</summary>
    Unknown,

    /// <summary>The catalog could not be read (or the id is one catalogs never list): let the provider decide.</summary>
    NotChecked,
}

/// <summary>Settings of the model catalog; configuration section "Models".</summary>
public sealed class ModelCatalogOptions
{
    public const string SectionName = "Models";

    /// <summary>Check <c>model</c> against the provider's list at all.</summary>
    public bool CheckModels { get; set; } = true;

    /// <summary>How long a read catalog is used before it is read again (in the background; requests use the old one meanwhile).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After a failed read, how long requests pass unchecked before the next attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a submission waits for the first read of the catalog.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The catalog as last read.</summary>
public sealed record ModelCatalogSnapshot(IReadOnlyList<SeedreamModelInfo> Models, DateTimeOffset ReadAt)
{
    private readonly HashSet<string> _ids = new(Models.Select(m => m.Id), StringComparer.Ordinal);

    public bool Contains(string id) => _ids.Contains(id);
}

/// <summary>
/// The provider's model list (<see cref="SeedreamClient.GetModelsAsync"/>), cached. A stale list is refreshed in the
/// background while requests keep using it; where it cannot be read, requests pass and the provider decides.
/// Ark endpoint ids (<c>ep-…</c>) are never listed, so they are never refused.
/// </summary>
public sealed class ModelCatalog
{
    private readonly SeedreamClient _client;
    private readonly ModelCatalogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelCatalog> _logger;
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private volatile ModelCatalogSnapshot? _snapshot;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;
    private Task? _refresh;

    public ModelCatalog(SeedreamClient client, IOptions<ModelCatalogOptions> options, TimeProvider time, ILogger<ModelCatalog> logger)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public async Task<ModelAvailability> FindAsync(string? model, CancellationToken cancellationToken)
    {
        if (!_options.CheckModels || string.IsNullOrWhiteSpace(model) || model.StartsWith("ep-", StringComparison.Ordinal))
        {
            return ModelAvailability.NotChecked;
        }

        var snapshot = await GetAsync(cancellationToken).ConfigureAwait(false);
        return snapshot is null ? ModelAvailability.NotChecked : snapshot.Contains(model) ? ModelAvailability.Listed : ModelAvailability.Unknown;
    }

    /// <summary>The catalog, read when missing (bounded by <see cref="ModelCatalogOptions.ReadTimeout"/>); null when it cannot be read now.</summary>
    public async Task<ModelCatalogSnapshot?> GetAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_snapshot is { } current)
        {
            if (now - current.ReadAt >= _options.RefreshInterval)
            {
                StartBackgroundRefresh();
            }

            return current;
        }

        if (now < _nextAttempt)
        {
            return null;
        }

        await _readLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshot is null && _time.GetUtcNow() >= _nextAttempt)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.ReadTimeout);
                await ReadAsync(timeout.Token).ConfigureAwait(false);
            }

            return _snapshot;
        }
        finally
        {
            _readLock.Release();
        }
    }

    private void StartBackgroundRefresh()
    {
        lock (_readLock)
        {
            if (_refresh is { IsCompleted: false } || _time.GetUtcNow() < _nextAttempt)
            {
                return;
            }

            _refresh = Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(_options.ReadTimeout * 4);
                await ReadAsync(timeout.Token).ConfigureAwait(false);
            });
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var models = await _client.GetModelsAsync(cancellationToken).ConfigureAwait(false);
            _snapshot = new ModelCatalogSnapshot(models, _time.GetUtcNow());
            _logger.LogInformation("Model catalog read: {Count} models.", models.Count);
        }
        catch (Exception e) when (e is SeedreamException or HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException or IOException)
        {
            // Keep the last good list; new submissions pass unchecked until the next attempt.
            _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
            _logger.LogWarning("Model catalog could not be read ({Reason}); models are not checked until {NextAttempt:O}.", LogText.Cut(e.Message, 200), _nextAttempt);
        }
    }
}
