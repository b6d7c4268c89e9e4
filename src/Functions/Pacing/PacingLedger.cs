using Seedream.Functions.Processing;

namespace Seedream.Functions.Pacing;

/// <summary>One call's images in the shared ledger: the slot its call was granted or booked for, and the job holding it.</summary>
public sealed record LedgerEntry(long Slot, int Images, string Job);

/// <summary>
/// The shared budget's arithmetic, without storage: images granted or booked per quarter-second slot, and the earliest
/// slot at which a call of n images keeps every sliding window within its cap.
/// <list type="bullet">
/// <item>The long window is the provider's window plus <see cref="PacingOptions.ArrivalSlack"/> (Seedream counts a call
/// when it arrives, a little after our grant) and one slot, capped at <see cref="PacingOptions.TargetShare"/> of the limit:
/// any provider window holds only calls granted within the long window before its end, so a call that arrives within the
/// slack of its slot is never refused. It admits TargetShare × window / (window + slack + slot) of the limit whatever the
/// job sizes (a token bucket that must pass a 15-image call cannot: it stays below (limit − 15) per window).</item>
/// <item>The short window (an eighth of the window, capped at 1.25 × its share of the long cap, at least two 15-image calls)
/// spreads the window's images instead of spending them in one burst at its start.</item>
/// <item>Bookings are fixed once written, and a later call is placed only where it fits around them, so a small job may
/// use a gap but never delays an earlier 15-image booking: no job size starves another.</item>
/// <item>Bulk work books only up to 1 − <see cref="PacingOptions.InteractiveReserve"/> of each cap, so interactive calls
/// always find the rest without waiting behind a bulk backlog.</item>
/// </list>
/// </summary>
public sealed class PacingLedger
{
    /// <summary>A slot: a quarter of a second.</summary>
    public static readonly TimeSpan SlotLength = TimeSpan.FromMilliseconds(250);

    private const double ShortWindowHeadroom = 1.25;

    private readonly PacingOptions _options;

    public PacingLedger(PacingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        LongSlots = (int)Math.Ceiling((options.Window + options.ArrivalSlack) / SlotLength) + 1;
        LongCap = Math.Max(JobOutcomeRules.MaxSeriesImages, (int)Math.Floor(options.TargetShare * options.ImagesPerMinute));
        ShortSlots = Math.Max(1, (int)Math.Ceiling(options.Window / 8 / SlotLength));
        // Room for two of the largest calls: with room for one, 15-image calls fragment the short windows (measured: the
        // schedule held 161 of the long window's 176 images, 86 % of the limit instead of 94 %).
        ShortCap = Math.Max(2 * JobOutcomeRules.MaxSeriesImages, (int)Math.Ceiling(ShortWindowHeadroom * LongCap * ShortSlots / LongSlots));
    }

    /// <summary>Slots in the long window: window + slack + one slot.</summary>
    public int LongSlots { get; }

    /// <summary>Images the long window may hold: TargetShare × limit (at least 15).</summary>
    public int LongCap { get; }

    public int ShortSlots { get; }

    public int ShortCap { get; }

    /// <summary>The design ceiling: the share of the limit a full backlog gets, LongCap / limit × window / long window.</summary>
    public double Ceiling => (double)LongCap / _options.ImagesPerMinute * (_options.Window / (LongSlots * SlotLength));

    public static long SlotOf(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / (long)SlotLength.TotalMilliseconds;

    public static DateTimeOffset StartOf(long slot) => DateTimeOffset.FromUnixTimeMilliseconds(slot * (long)SlotLength.TotalMilliseconds);

    /// <summary>The entries that still count at <paramref name="now"/>: those within the long window before it, and bookings after it.</summary>
    public List<LedgerEntry> Live(IEnumerable<LedgerEntry> entries, long now) => entries.Where(e => e.Slot > now - LongSlots).ToList();

    /// <summary>The earliest slot from <paramref name="from"/> at which <paramref name="images"/> more keep every window within its cap.</summary>
    public long Earliest(IReadOnlyList<LedgerEntry> entries, long from, int images, GenerationPriority priority)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var windows = new[] { (Slots: LongSlots, Cap: CapFor(LongCap, images, priority)), (Slots: ShortSlots, Cap: CapFor(ShortCap, images, priority)) };
        var first = from - LongSlots + 1;
        // Past the last entry plus one long window every window is empty: the search ends there at the latest.
        var last = Math.Max(from, entries.Count == 0 ? from : entries.Max(e => e.Slot)) + LongSlots;
        var prefix = new long[last - first + 2];
        foreach (var entry in entries)
        {
            if (entry.Slot >= first && entry.Slot <= last)
            {
                prefix[entry.Slot - first + 1] += entry.Images;
            }
        }

        for (var i = 1; i < prefix.Length; i++)
        {
            prefix[i] += prefix[i - 1];
        }

        // Images in the window of `slots` slots ending at slot `end`.
        long Sum(long end, int slots)
        {
            var to = Math.Min(end, last) - first + 1;
            var since = Math.Max(end - slots + 1, first) - first;
            return to <= since ? 0 : prefix[to] - prefix[since];
        }

        var candidate = from;
        while (candidate < last)
        {
            var next = candidate;
            foreach (var (slots, cap) in windows)
            {
                // A call at `candidate` counts in every window ending within `slots` after it; when one of them would
                // overflow, no slot of that window fits either: go on after its end.
                for (var end = candidate; end < candidate + slots; end++)
                {
                    if (Sum(end, slots) + images > cap)
                    {
                        next = Math.Max(next, end + 1);
                    }
                }
            }

            if (next == candidate)
            {
                return candidate;
            }

            candidate = next;
        }

        return last;
    }

    private int CapFor(int cap, int images, GenerationPriority priority) =>
        Math.Max(images, priority == GenerationPriority.Bulk ? (int)Math.Floor(cap * (1 - _options.InteractiveReserve)) : cap);
}
