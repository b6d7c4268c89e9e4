namespace Seedream.Functions.Batches;

/// <summary>
/// The bound on a batch's fan-out: at most <see cref="BatchOptions.MaxJobsAhead"/> of its jobs created and not ended.
/// The fan-out pauses when the window is full and is resumed when half of it is free (so that it moves in large
/// chunks, not one line per job end). A stopping batch (cancelled, past its deadline) has no bound: its remaining lines
/// are settled without jobs.
/// </summary>
public sealed class BatchWindow
{
    private readonly int _maxJobsAhead;

    public BatchWindow(int maxJobsAhead)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJobsAhead, 1);
        _maxJobsAhead = maxJobsAhead;
    }

    /// <summary>Lines the fan-out may read before it looks again (each valid line makes at most one job).</summary>
    public int Room(BatchRecord record, DateTimeOffset now) =>
        Unbounded(record, now) ? int.MaxValue : Math.Max(0, _maxJobsAhead - record.Tally.Unfinished);

    /// <summary>A paused fan-out may go on: half the window is free, or the batch is stopping.</summary>
    public bool CanResume(BatchRecord record, DateTimeOffset now) =>
        Unbounded(record, now) || record.Tally.Unfinished <= _maxJobsAhead / 2;

    /// <summary>
    /// Inside a record update: turns a paused fan-out that may go on into a resumed one. True once per pause, since the
    /// record is written with an ETag condition; the caller then sends the fan-out message.
    /// </summary>
    public bool TryResume(BatchRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.FanOut.Paused || record.FanOut.Completed || !CanResume(record, now))
        {
            return false;
        }

        Resume(record, now);
        return true;
    }

    /// <summary>Marks a paused fan-out resumed whatever the counts (a cancel settles the remaining lines).</summary>
    public static void Resume(BatchRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.FanOut.Paused = false;
        record.FanOut.ResumedAt = now;
    }

    private static bool Unbounded(BatchRecord record, DateTimeOffset now) =>
        record.IsStopping || record.CancelRequestedAt is not null || now >= record.Deadline;
}
