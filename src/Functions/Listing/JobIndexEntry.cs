using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Listing;

/// <summary>
/// One row of the job index: partition <c>jobs</c>, row key <c>{inverted created ticks:D19}-{id}</c> so the table's own
/// order (ascending row key) is newest first, and the summary as properties.
/// </summary>
public sealed class JobIndexEntry : ITableEntity
{
    public const string Partition = "jobs";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string JobId { get; set; } = string.Empty;

    /// <summary>The status's JSON name (<c>succeeded</c>, …), what the listing filters on.</summary>
    public string Status { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    public string? Model { get; set; }

    public int ImageCount { get; set; }

    /// <summary>Invariant decimal text: table properties have no decimal type and a double would round a price.</summary>
    public string? CostAmount { get; set; }

    public string? CostCurrency { get; set; }

    public bool? CostEstimated { get; set; }

    /// <summary>
    /// Written from a record that exists (after its write, or from a read). False for the entry written just before a
    /// record is created, which the listing checks against the record until a later write confirms it.
    /// </summary>
    public bool Confirmed { get; set; }

    public static string RowKeyFor(DateTimeOffset createdAt, string jobId) => $"{InvertedTicks(createdAt)}-{jobId}";

    /// <summary>The row key bound below which every job was created after <paramref name="instant"/>.</summary>
    public static string RowKeyBoundFor(DateTimeOffset instant) => InvertedTicks(instant);

    public static JobIndexEntry From(JobSummary summary, bool confirmed)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new JobIndexEntry
        {
            RowKey = RowKeyFor(summary.CreatedAt, summary.Id),
            JobId = summary.Id,
            Status = JobStatusNames.NameOf(summary.Status),
            CreatedAt = summary.CreatedAt,
            Model = summary.Model,
            ImageCount = summary.ImageCount,
            CostAmount = summary.Cost?.Amount.ToString(CultureInfo.InvariantCulture),
            CostCurrency = summary.Cost?.Currency,
            CostEstimated = summary.Cost?.Estimated,
            Confirmed = confirmed,
        };
    }

    /// <summary>The summary this row holds; null for a row this version cannot read (an unknown status), which is then checked against the record.</summary>
    public JobSummary? ToSummary()
    {
        if (!JobStatusNames.TryParse(Status, out var status))
        {
            return null;
        }

        var cost = CostAmount is { } amount && CostCurrency is { } currency && decimal.TryParse(amount, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? new JobCost(value, currency, CostEstimated ?? false)
            : null;
        return new JobSummary(JobId, status, CreatedAtFromRowKey(RowKey) ?? CreatedAt, Model, ImageCount, cost);
    }

    /// <summary>The creation instant to the tick (a table's date properties may keep less precision than the record).</summary>
    public static DateTimeOffset? CreatedAtFromRowKey(string rowKey) =>
        rowKey.Length > 20 && rowKey[19] == '-' && long.TryParse(rowKey.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var inverted)
            && inverted <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(DateTimeOffset.MaxValue.UtcTicks - inverted, TimeSpan.Zero)
            : null;

    public bool SameSummaryAs(JobSummary summary) => ToSummary() == summary;

    private static string InvertedTicks(DateTimeOffset instant) =>
        (DateTimeOffset.MaxValue.UtcTicks - instant.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}
