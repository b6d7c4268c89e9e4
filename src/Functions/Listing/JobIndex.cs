using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Listing;

/// <summary>
/// The job listing's index: one table row per job, newest first by row key (see <see cref="JobIndexEntry"/>). The job
/// record stays the truth; <see cref="JobStore"/> writes a row before it creates a record and after each write of it,
/// and <see cref="JobLister"/> checks the rows that may lag against the records.
/// </summary>
public class JobIndex
{
    private readonly TableClient _table;
    private readonly ILogger<JobIndex> _logger;
    private readonly CreateOnce _creation = new();

    public JobIndex(TableServiceClient tables, IOptions<JobListingOptions> options, ILogger<JobIndex> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _table = tables.GetTableClient(options.Value.JobIndexTable);
        _logger = logger;
    }

    public string TableName => _table.Name;

    /// <summary>
    /// Before a record is created: a row the listing will check against the record until a later write confirms it.
    /// Failures propagate, so no record exists that the listing could never find.
    /// </summary>
    public virtual async Task AddAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        await WriteAsync(JobIndexEntry.From(JobSummary.From(job), confirmed: false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After a record write. The record is written already, so a failure here is logged and not thrown: a row that
    /// lags shows a status that can still change, and the listing checks those against the record.
    /// </summary>
    public virtual async Task UpdateAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(JobIndexEntry.From(JobSummary.From(job), confirmed: true), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            _logger.LogWarning(e, "Job {JobId}: the listing index was not updated after the record write; the listing corrects it from the record.", job.Id);
        }
    }

    /// <summary>
    /// Writes what a record read shows (the listing's repair of a lagging row), only over the row version the listing
    /// read: a write after a newer record write must not put an older summary back. False when the row has moved on.
    /// </summary>
    public virtual async Task<bool> RepairAsync(JobSummary summary, ETag rowVersion, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.UpdateEntityAsync(JobIndexEntry.From(summary, confirmed: true), rowVersion, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Removes a row whose record does not exist (a submission that was refused after its row was written), if it is still the version read.</summary>
    public virtual async Task RemoveAsync(string rowKey, ETag rowVersion, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.DeleteEntityAsync(JobIndexEntry.Partition, rowKey, rowVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already, or rewritten since it was read: not ours to remove.
        }
    }

    /// <summary>Rows after <paramref name="afterRowKey"/> (newest first), optionally only those with the given statuses and created after an instant.</summary>
    public virtual async IAsyncEnumerable<JobIndexEntry> QueryAsync(
        IReadOnlyCollection<string> statuses,
        DateTimeOffset? createdAfter,
        string? afterRowKey,
        int pageSizeHint,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {JobIndexEntry.Partition}");
        if (afterRowKey is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {afterRowKey}");
        }

        if (createdAfter is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey lt {JobIndexEntry.RowKeyBoundFor(after)}");
        }

        if (statuses.Count > 0)
        {
            filter += " and (" + string.Join(" or ", statuses.Select(status => TableClient.CreateQueryFilter($"Status eq {status}"))) + ")";
        }

        await foreach (var entry in _table.QueryAsync<JobIndexEntry>(filter, maxPerPage: pageSizeHint, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }

    private async Task WriteAsync(JobIndexEntry entry, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(entry, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask EnsureCreatedAsync(CancellationToken cancellationToken) => _creation.EnsureAsync(token => _table.CreateIfNotExistsAsync(token), cancellationToken);
}

/// <summary>The two calls <see cref="JobStore"/> makes; a store built without an index (none registered) skips them.</summary>
public static class JobIndexHooks
{
    /// <summary>Before a record is created (see <see cref="JobIndex.AddAsync"/>).</summary>
    public static Task BeforeCreateAsync(this JobIndex? index, GenerationJob job, CancellationToken cancellationToken) =>
        index?.AddAsync(job, cancellationToken) ?? Task.CompletedTask;

    /// <summary>After a record was written (see <see cref="JobIndex.UpdateAsync"/>).</summary>
    public static Task AfterWriteAsync(this JobIndex? index, GenerationJob job, CancellationToken cancellationToken) =>
        index?.UpdateAsync(job, cancellationToken) ?? Task.CompletedTask;
}
