using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seedream.Functions.Pacing;

namespace Seedream.Functions.Tests.Pacing;

/// <summary>The two pacers: the shared sliding-window ledger on real storage (several instances, one window) and the per-instance AIMD window.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PacerTests(PipelineFixture fixture)
{
    private const string Model = TestRequests.Model;

    private static SharedBudgetPacer SharedPacer(PipelineHarness harness, PacingOptions options) =>
        new(harness.Storage, Options.Create(options), TimeProvider.System, NullLogger<SharedBudgetPacer>.Instance);

    /// <summary>The ledger as stored, for checks that every window stays within its cap.</summary>
    private static async Task<(List<LedgerEntry> Entries, Azure.ETag ETag)> StoredLedgerAsync(PipelineHarness harness, string model = Model)
    {
        var content = (await harness.Storage.Jobs.GetBlobClient($"pacing/{model}/ledger.json").DownloadContentAsync()).Value;
        using var document = System.Text.Json.JsonDocument.Parse(content.Content.ToMemory());
        var entries = document.RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => new LedgerEntry(e.GetProperty("slot").GetInt64(), e.GetProperty("images").GetInt32(), e.GetProperty("job").GetString()!))
            .ToList();
        return (entries, content.Details.ETag);
    }

    /// <summary>The most images any window of <paramref name="slots"/> slots holds.</summary>
    private static int BusiestWindow(IReadOnlyList<LedgerEntry> entries, int slots) =>
        entries.Select(end => entries.Where(e => e.Slot > end.Slot - slots && e.Slot <= end.Slot).Sum(e => e.Images)).DefaultIfEmpty(0).Max();

    private static long SlotOf(LedgerEntry? entry) => Assert.IsType<LedgerEntry>(entry).Slot;

    [Fact]
    public void Ledger_windows_follow_the_limit_and_its_ceiling_does_not_depend_on_the_largest_call()
    {
        // 120 per 40 s, slack 2 s: the long window is 42 s + one slot (169 slots), cap 0.98 × 120 = 117.
        var ledger = new PacingLedger(new PacingOptions { ImagesPerMinute = 120, Window = TimeSpan.FromSeconds(40) });
        Assert.Equal(169, ledger.LongSlots);
        Assert.Equal(117, ledger.LongCap);
        Assert.Equal(20, ledger.ShortSlots);
        Assert.Equal(30, ledger.ShortCap);
        // 117 / 120 × 40 / 42.25: 92 %, where a token bucket that passes 15-image calls tops out at 0.97 × 105 / 120 = 85 %.
        Assert.Equal(0.923, ledger.Ceiling, 3);
        Assert.Equal(0.945, new PacingLedger(new PacingOptions()).Ceiling, 3);

        // A 15-image call that does not fit now is booked in the first short window with room for all of it; a smaller
        // call placed later uses the room left before it, and then the room beside it, never its slot.
        var entries = new List<LedgerEntry> { new(1000, 15, "a"), new(1000, 4, "b") };
        var large = ledger.Earliest(entries, 1000, 15, GenerationPriority.Interactive);
        Assert.Equal(1020, large);
        entries.Add(new LedgerEntry(large, 15, "large"));
        Assert.Equal(1000, ledger.Earliest(entries, 1000, 11, GenerationPriority.Interactive));
        entries.Add(new LedgerEntry(1000, 11, "c"));
        Assert.Equal(1020, ledger.Earliest(entries, 1000, 1, GenerationPriority.Interactive));
        Assert.Equal(1040, ledger.Earliest(entries, 1000, 16, GenerationPriority.Interactive));
    }

    [Fact]
    public async Task Shared_ledger_is_one_window_for_every_instance_books_a_full_window_ahead_and_keeps_the_interactive_reserve_from_bulk_work()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // 100 per 10 minutes, no slack: long window 2,401 slots, cap 100; short window 75 s (300 slots), cap 30 (two
        // 15-image calls); bulk work books up to 80 % of each (24 of 30).
        var options = new PacingOptions { ImagesPerMinute = 100, TargetShare = 1, ArrivalSlack = TimeSpan.Zero, InteractiveReserve = 0.2, Window = TimeSpan.FromMinutes(10) };
        var first = SharedPacer(harness, options);
        var second = SharedPacer(harness, options);
        Assert.Equal(30, first.Ledger.ShortCap);

        Assert.NotNull((await first.AcquireAsync(Model, "bulk-1", 4, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        Assert.NotNull((await second.AcquireAsync(Model, "bulk-2", 20, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        // 24 of the short window's 30 used: bulk work stops at its 24, on either instance; interactive work goes on.
        var bulk = await first.AcquireAsync(Model, "bulk-3", 1, GenerationPriority.Bulk, CancellationToken.None);
        Assert.Null(bulk.Grant);
        Assert.InRange(bulk.Wait.TotalSeconds, 60, 75);
        Assert.NotNull((await second.AcquireAsync(Model, "interactive-1", 6, GenerationPriority.Interactive, CancellationToken.None)).Grant);

        // A 15-image job books the next short window; its look again finds the booking and writes nothing.
        var large = await first.AcquireAsync(Model, "large", 15, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(large.Grant);
        var (entries, etag) = await StoredLedgerAsync(harness);
        var booking = SlotOf(entries.SingleOrDefault(e => e.Job == "large"));
        var again = await second.AcquireAsync(Model, "large", 15, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(again.Grant);
        Assert.InRange((again.Wait - large.Wait).TotalSeconds, -1, 0.1);
        Assert.Equal(etag, (await StoredLedgerAsync(harness)).ETag);

        // Twenty 1-image jobs after it fill the room around it, never its own: every window stays within its cap.
        for (var i = 0; i < 20; i++)
        {
            await (i % 2 == 0 ? first : second).AcquireAsync(Model, $"small-{i}", 1, GenerationPriority.Interactive, CancellationToken.None);
        }

        (entries, _) = await StoredLedgerAsync(harness);
        Assert.Equal(booking, SlotOf(entries.SingleOrDefault(e => e.Job == "large")));
        Assert.True(BusiestWindow(entries, first.Ledger.ShortSlots) <= 30, string.Join(", ", entries));
        Assert.True(BusiestWindow(entries, first.Ledger.LongSlots) <= 100, string.Join(", ", entries));
        // The window before the booking is full: they go beside it (14 of them, to the short cap) and after it.
        Assert.All(entries.Where(e => e.Job.StartsWith("small-", StringComparison.Ordinal)), e => Assert.True(e.Slot >= booking, $"{e} before the booking at {booking}"));

        // Another model has its own ledger.
        Assert.NotNull((await second.AcquireAsync("doubao-seedream-4-5-251128", "other", 15, GenerationPriority.Bulk, CancellationToken.None)).Grant);
    }

    [Fact]
    public async Task Shared_ledger_holds_a_booked_call_in_process_until_its_slot_and_gives_back_a_call_not_sent()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // 20 images per 2 s, no slack: a second 15-image call fits only once the first has left the 2.25 s window.
        var options = new PacingOptions { ImagesPerMinute = 20, TargetShare = 1, ArrivalSlack = TimeSpan.Zero, Window = TimeSpan.FromSeconds(2), HoldWithin = TimeSpan.FromSeconds(4) };
        var pacer = SharedPacer(harness, options);

        var first = (await pacer.AcquireAsync(Model, "first", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant;
        Assert.NotNull(first);
        var held = System.Diagnostics.Stopwatch.StartNew();
        var second = (await pacer.AcquireAsync(Model, "second", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant;
        Assert.NotNull(second);
        Assert.InRange(held.Elapsed.TotalSeconds, 1.6, 3.5);

        // Booked beyond HoldWithin (1 s here): the job waits outside the worker and comes back ¾ of it early.
        var impatient = SharedPacer(harness, new PacingOptions { ImagesPerMinute = 20, TargetShare = 1, ArrivalSlack = TimeSpan.Zero, Window = TimeSpan.FromSeconds(2), HoldWithin = TimeSpan.FromSeconds(1) });
        var third = await impatient.AcquireAsync(Model, "third", 15, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(third.Grant);
        Assert.InRange(third.Wait.TotalSeconds, 0.9, 2.1);
        await Task.Delay(third.Wait);
        Assert.NotNull((await impatient.AcquireAsync(Model, "third", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant);

        // A job back after its slot (by more than ¾ of the slack, none here) gives the missed booking back and books again.
        Assert.NotNull((await impatient.AcquireAsync("late-model", "on-time", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant);
        var late = await impatient.AcquireAsync("late-model", "late", 15, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(late.Grant);
        await Task.Delay(late.Wait + TimeSpan.FromSeconds(1.5));
        Assert.NotNull((await impatient.AcquireAsync("late-model", "late", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant);
        // One entry for it, the new one (the on-time call has left the window meanwhile).
        Assert.Equal(["late"], (await StoredLedgerAsync(harness, "late-model")).Entries.Select(e => e.Job));

        // A call not sent gives its images back; a refused one's stay until its job comes back.
        var notSent = (await pacer.AcquireAsync("doubao-seedream-4-5-251128", "not-sent", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        await notSent.CompleteAsync(PacingOutcome.NotSent);
        var refused = (await pacer.AcquireAsync("doubao-seedream-4-5-251128", "refused", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        await refused.CompleteAsync(PacingOutcome.RateLimited);
        var (entries, _) = await StoredLedgerAsync(harness, "doubao-seedream-4-5-251128");
        Assert.Equal(["refused"], entries.Select(e => e.Job));
    }

    [Fact]
    public async Task Concurrent_instances_never_book_more_than_any_window_allows()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // 200 per hour, no slack: short window 7.5 minutes, cap ceil(1.25 × 200 × 1800 / 14401) = 32.
        var options = new PacingOptions { ImagesPerMinute = 200, TargetShare = 1, ArrivalSlack = TimeSpan.Zero, Window = TimeSpan.FromHours(1) };
        var pacers = Enumerable.Range(0, 3).Select(_ => SharedPacer(harness, options)).ToList();
        int[] sizes = [1, 4, 15];

        var granted = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var decision = await pacers[i % 3].AcquireAsync(Model, $"job-{i}", sizes[i % 3], GenerationPriority.Interactive, CancellationToken.None);
            if (decision.Grant is not null)
            {
                granted.Add($"job-{i}");
            }
        }));

        // Each job has at most one entry (granted now or booked; a job whose writes all lost to others looks again
        // later, unbooked), every grant is in the ledger, and no window holds more than its cap.
        var (entries, _) = await StoredLedgerAsync(harness);
        Assert.Equal(entries.Count, entries.Select(e => e.Job).Distinct().Count());
        Assert.True(entries.Count >= 50, $"{entries.Count} of 60 jobs booked");
        Assert.Subset(entries.Select(e => e.Job).ToHashSet(), granted.ToHashSet());
        Assert.InRange(entries.Where(e => granted.Contains(e.Job)).Sum(e => e.Images), 15, pacers[0].Ledger.ShortCap);
        Assert.True(BusiestWindow(entries, pacers[0].Ledger.ShortSlots) <= pacers[0].Ledger.ShortCap);
        Assert.True(BusiestWindow(entries, pacers[0].Ledger.LongSlots) <= 200);
    }

    [Fact]
    public async Task Adaptive_window_shrinks_on_a_refusal_grows_with_answers_and_admits_a_large_call_while_not_full()
    {
        var options = Options.Create(new PacingOptions { InitialInFlightImages = 10, DecreaseFactor = 0.5, InteractiveReserve = 0.5 });
        var pacer = new AdaptivePacer(options, TimeProvider.System);

        var small = (await pacer.AcquireAsync(Model, "j", 1, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        // 1 of 10 in flight: a 15-image call is admitted (it would starve behind small calls if it had to fit).
        var large = (await pacer.AcquireAsync(Model, "j", 15, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        var full = await pacer.AcquireAsync(Model, "j", 1, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(full.Grant);
        Assert.True(full.Wait > TimeSpan.Zero);

        await large.CompleteAsync(PacingOutcome.RateLimited);
        Assert.Equal(5, pacer.WindowOf(Model), 3);
        // 1 in flight of 5: bulk work may use half the window (2.5), interactive all of it.
        var bulk = (await pacer.AcquireAsync(Model, "j", 2, GenerationPriority.Bulk, CancellationToken.None)).Grant!;
        Assert.Null((await pacer.AcquireAsync(Model, "j", 1, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        Assert.NotNull((await pacer.AcquireAsync(Model, "j", 1, GenerationPriority.Interactive, CancellationToken.None)).Grant);

        await small.CompleteAsync(PacingOutcome.Answered);
        await bulk.CompleteAsync(PacingOutcome.Answered);
        Assert.True(pacer.WindowOf(Model) > 5);
    }

    [Fact]
    public void Backoff_doubles_per_refusal_with_jitter_up_to_the_cap()
    {
        var options = new PacingOptions { RetryDelay = TimeSpan.FromSeconds(2), MaxRetryDelay = TimeSpan.FromSeconds(30) };
        Assert.Equal(TimeSpan.FromSeconds(1), CapacityBackoff.Delay(1, options, 0));
        Assert.Equal(TimeSpan.FromSeconds(4), CapacityBackoff.Delay(2, options, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(8), CapacityBackoff.Delay(3, options, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(45), CapacityBackoff.Delay(40, options, 1));
    }

    [Theory]
    [InlineData("Adaptive", typeof(AdaptivePacer))]
    [InlineData("SharedBudget", typeof(SharedBudgetPacer))]
    [InlineData(null, typeof(SharedBudgetPacer))]
    [InlineData("Deferral", typeof(UnpacedPacer))]
    [InlineData("Off", typeof(UnpacedPacer))]
    public async Task Mode_chooses_the_pacer(string? mode, Type expected)
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pacing:Mode"] = mode });
        Assert.IsType(expected, harness.Services.GetRequiredService<GenerationPacer>());
    }
}
