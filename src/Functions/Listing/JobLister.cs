using Azure;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Listing;

/// <summary>What a listing asks for; <see cref="AfterRowKey"/> comes from a continuation token.</summary>
public sealed record JobListQuery(IReadOnlyList<JobStatus> Statuses, DateTimeOffset? CreatedAfter, int PageSize, string? AfterRowKey);

/// <summary>One page, newest first; <see cref="ContinuationToken"/> is null on the last page.</summary>
public sealed record JobListPage(IReadOnlyList<JobSummary> Items, string? ContinuationToken);

/// <summary>
/// Pages through the job index. Rows whose status is final and that were written from a record are shown as they are;
/// every other row (queued or running, or written before its record was created) is checked against the record: the
/// record's summary is shown and written back, and a row without a record is skipped (and removed once it is older than
/// <see cref="OrphanGrace"/>, so a record being created right now is not mistaken for a refused submission).
/// </summary>
public sealed class JobLister
{
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromMinutes(2);

    private readonly JobIndex _index;
    private readonly JobStore _jobs;
    private readonly TimeProvider _time;
    private readonly ILogger<JobLister> _logger;

    public JobLister(JobIndex index, JobStore jobs, TimeProvider time, ILogger<JobLister> logger)
    {
        _index = index;
        _jobs = jobs;
        _time = time;
        _logger = logger;
    }

    public async Task<JobListPage> ListAsync(JobListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var statusNames = query.Statuses.Select(JobStatusNames.NameOf).Distinct().ToArray();
        var rows = _index.QueryAsync(statusNames, query.CreatedAfter, query.AfterRowKey, query.PageSize + 1, cancellationToken);

        // One more than a page is read, so a full page knows whether anything follows it. Rows that need their record
        // are checked in parallel; a row that turns out not to belong tops the page up from the next rows.
        var page = new List<(string RowKey, Task<JobSummary?> Summary)>(query.PageSize + 1);
        await using var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        var exhausted = false;
        while (page.Count <= query.PageSize && !exhausted)
        {
            while (page.Count <= query.PageSize)
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    exhausted = true;
                    break;
                }

                var row = enumerator.Current;
                page.Add((row.RowKey, ResolveAsync(row, query.Statuses, cancellationToken)));
            }

            await Task.WhenAll(page.Select(slot => slot.Summary)).ConfigureAwait(false);
            page.RemoveAll(slot => slot.Summary.Result is null);
        }

        var items = page.Take(query.PageSize).Select(slot => slot.Summary.Result!).ToList();
        var token = page.Count > query.PageSize ? JobListContinuation.Encode(page[query.PageSize - 1].RowKey) : null;
        return new JobListPage(items, token);
    }

    private async Task<JobSummary?> ResolveAsync(JobIndexEntry row, IReadOnlyList<JobStatus> wanted, CancellationToken cancellationToken)
    {
        if (row.Confirmed && row.ToSummary() is { } listed && JobSummary.IsFinal(listed.Status))
        {
            return listed;
        }

        var stored = await _jobs.GetAsync(row.JobId, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.Job.CreatedAt != JobIndexEntry.CreatedAtFromRowKey(row.RowKey))
        {
            if (row.Timestamp is { } written && _time.GetUtcNow() - written > OrphanGrace)
            {
                await TryAsync(() => _index.RemoveAsync(row.RowKey, row.ETag, cancellationToken), row.JobId, "remove the row of a job that does not exist").ConfigureAwait(false);
            }

            return null;
        }

        var actual = JobSummary.From(stored.Job);
        // A status only a newer version knows stays as that version indexed it.
        if (actual.Status != JobStatus.Unknown && (!row.Confirmed || !row.SameSummaryAs(actual)))
        {
            await TryAsync(() => _index.RepairAsync(actual, row.ETag, cancellationToken), row.JobId, "correct its row from the record").ConfigureAwait(false);
        }

        return wanted.Count == 0 || wanted.Contains(actual.Status) ? actual : null;
    }

    // A repair that fails is retried by the next listing; the page is still right, as it shows the record.
    private async Task TryAsync(Func<Task> repair, string jobId, string what)
    {
        try
        {
            await repair().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            _logger.LogWarning(e, "Job {JobId}: the listing could not {What}.", jobId, what);
        }
    }
}
