using System.Text.Json.Serialization;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Batches;

/// <summary>Where a batch stands, in the OpenAI Batch API's words.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchStatus>))]
public enum BatchStatus
{
    /// <summary>Staged; the fan-out has not checkpointed its first lines yet.</summary>
    [JsonStringEnumMemberName("validating")]
    Validating,

    /// <summary>Lines are being read and their jobs run.</summary>
    [JsonStringEnumMemberName("in_progress")]
    InProgress,

    /// <summary>Every line is settled; the output and error files are being written.</summary>
    [JsonStringEnumMemberName("finalizing")]
    Finalizing,

    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>The input could not be used at all (unreadable, empty, or no valid line).</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The completion window passed before every line was settled.</summary>
    [JsonStringEnumMemberName("expired")]
    Expired,

    [JsonStringEnumMemberName("cancelling")]
    Cancelling,

    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

/// <summary>The API's names of batch statuses (<c>in_progress</c>) and which of them end a batch: the one list of both.</summary>
public static class BatchStatusNames
{
    public static string NameOf(BatchStatus status) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    /// <summary>The statuses a batch ends in; its results files and its one event follow.</summary>
    public static bool IsFinished(BatchStatus status) => status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Expired or BatchStatus.Cancelled;

    /// <summary>For tools that see only the name (the drop tool polls blob metadata): final when this version knows it as final.</summary>
    public static bool IsFinished(string? name) => TryParse(name, out var status) && IsFinished(status);

    /// <summary>Ended without running every line: nothing valid to run, or the completion window closed.</summary>
    public static bool IsFailure(BatchStatus status) => status is BatchStatus.Failed or BatchStatus.Expired;

    public static bool TryParse(string? name, out BatchStatus status)
    {
        foreach (var candidate in Enum.GetValues<BatchStatus>())
        {
            if (NameOf(candidate) == name)
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }
}

/// <summary>
/// The batch record, blob <c>{id}/batch.json</c> in the batches container, updated with ETag conditions. Counts are
/// kept as facts (lines read, jobs created, jobs ended by status); the API derives queued and running from them.
/// </summary>
public sealed class BatchRecord
{
    public required string Id { get; set; }

    public BatchStatus Status { get; set; }

    public required string Endpoint { get; set; }

    public required string CompletionWindow { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The end of the completion window: lines not sent by then end expired.</summary>
    public DateTimeOffset Deadline { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinalizingAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DateTimeOffset? CancelRequestedAt { get; set; }

    public Dictionary<string, string> Metadata { get; set; } = [];

    public string? TraceParent { get; set; }

    /// <summary>The inbox blob the batch was dropped as (marked with the batch's end); null for <c>POST /api/batches</c>.</summary>
    public SourceBlob? Source { get; set; }

    /// <summary>Bytes of the staged input.</summary>
    public long InputBytes { get; set; }

    public BatchFanOut FanOut { get; set; } = new();

    public BatchTally Tally { get; set; } = new();

    /// <summary>Sum of the accepted lines' estimates (price × images asked for), known as the fan-out reads them.</summary>
    public JobCost? EstimatedCost { get; set; }

    /// <summary>What the ended jobs cost (billed images only).</summary>
    public JobCost? Cost { get; set; }

    public BatchResultFile? OutputFile { get; set; }

    public BatchResultFile? ErrorFile { get; set; }

    /// <summary>Why the whole batch failed (input unreadable, nothing valid).</summary>
    public JobError? Error { get; set; }

    /// <summary>The batch's one CloudEvent, written with the final status (stable id), then marked published.</summary>
    public TerminalEvent? TerminalEvent { get; set; }

    [JsonIgnore]
    public bool IsFinished => BatchStatusNames.IsFinished(Status);

    /// <summary>Cancelled or expired: no further line may reach Seedream.</summary>
    [JsonIgnore]
    public bool IsStopping => Status is BatchStatus.Cancelling or BatchStatus.Cancelled or BatchStatus.Expired
        || (Status == BatchStatus.Finalizing && (CancelRequestedAt is not null || FanOut.Expired));
}

/// <summary>The fan-out's checkpoint: the next line to read and where it starts in the staged input.</summary>
public sealed class BatchFanOut
{
    public long NextOffset { get; set; }

    /// <summary>1-based number of the next line.</summary>
    public int NextLine { get; set; } = 1;

    /// <summary>Error chunks written so far (<c>{id}/errors/{n:D6}.jsonl</c>).</summary>
    public int ErrorChunks { get; set; }

    public bool Completed { get; set; }

    /// <summary>The window closed during the fan-out: the lines after it were not submitted.</summary>
    public bool Expired { get; set; }

    /// <summary>
    /// The checkpoint at which a fan-out message that ran out of deliveries was sent again: a fan-out that keeps moving
    /// is restarted, one that fails at the same line twice is not.
    /// </summary>
    public int? RestartedAtLine { get; set; }

    /// <summary>Stopped with <see cref="BatchOptions.MaxJobsAhead"/> jobs unfinished; the job end that leaves half of them resumes it, once.</summary>
    public bool Paused { get; set; }

    /// <summary>Times the fan-out paused; the resume check of pause n carries round n, so that an older check's chain ends.</summary>
    public int Pauses { get; set; }

    public DateTimeOffset? PausedAt { get; set; }

    /// <summary>The next line when the fan-out last paused: a resume check that finds it unmoved long after the resume sends the fan-out again.</summary>
    public int? PausedAtLine { get; set; }

    public DateTimeOffset? ResumedAt { get; set; }
}

/// <summary>Counters as facts. Ended counts come from the job-ended hook (one marker per job) and are recounted before the batch ends.</summary>
public sealed class BatchTally
{
    /// <summary>Lines read (every line of the input once read).</summary>
    public int Lines { get; set; }

    /// <summary>Lines refused by the intake or the envelope rules (line errors).</summary>
    public int Invalid { get; set; }

    /// <summary>Lines not submitted because the batch was cancelled or expired first.</summary>
    public int Skipped { get; set; }

    public int SkippedExpired { get; set; }

    /// <summary>Jobs created.</summary>
    public int Accepted { get; set; }

    /// <summary>Jobs whose delivery began.</summary>
    public int Started { get; set; }

    public int Succeeded { get; set; }

    public int PartiallySucceeded { get; set; }

    public int Failed { get; set; }

    public int Cancelled { get; set; }

    public int Expired { get; set; }

    [JsonIgnore]
    public int Ended => Succeeded + PartiallySucceeded + Failed + Cancelled + Expired;

    /// <summary>Jobs created and not yet counted as ended: what <see cref="BatchOptions.MaxJobsAhead"/> bounds.</summary>
    [JsonIgnore]
    public int Unfinished => Math.Max(0, Accepted - Ended);

    public void Count(JobStatus status, int delta = 1)
    {
        switch (status)
        {
            case JobStatus.Succeeded: Succeeded += delta; break;
            case JobStatus.PartiallySucceeded: PartiallySucceeded += delta; break;
            case JobStatus.Failed: Failed += delta; break;
            case JobStatus.Cancelled: Cancelled += delta; break;
            case JobStatus.Expired: Expired += delta; break;
            default: throw new ArgumentOutOfRangeException(nameof(status), status, "Only terminal statuses are counted.");
        }
    }
}

/// <summary>A results file in the batches container; read URLs are issued when the record is shown.</summary>
public sealed record BatchResultFile(string BlobName, int Lines, long Bytes);

/// <summary>On a job of a batch: which batch and line it came from. Its id is derived from both (<see cref="BatchJobIds"/>).</summary>
public sealed record BatchLineReference(string BatchId, string CustomId, int Line);
