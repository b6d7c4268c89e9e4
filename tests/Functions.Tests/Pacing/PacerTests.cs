using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seedream.Functions.Pacing;

namespace Seedream.Functions.Tests.Pacing;

/// <summary>The two pacers: the shared token bucket on real storage (two instances, one budget) and the per-instance AIMD window.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PacerTests(PipelineFixture fixture)
{
    private const string Model = TestRequests.Model;

    private static SharedBudgetPacer SharedPacer(PipelineHarness harness, PacingOptions options) =>
        new(harness.Storage, Options.Create(options), TimeProvider.System, NullLogger<SharedBudgetPacer>.Instance);

    [Fact]
    public async Task Shared_budget_is_one_budget_for_every_instance_and_keeps_the_interactive_reserve_from_bulk_work()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // Limit 115 a window: refill 0.5 × (115 − 15) = 50, burst 50, bulk leaves half of the burst (25) to interactive calls.
        var options = new PacingOptions { ImagesPerMinute = 115, TargetShare = 0.5, InteractiveReserve = 0.5, Window = TimeSpan.FromMinutes(10) };
        var first = SharedPacer(harness, options);
        var second = SharedPacer(harness, options);
        Assert.Equal(50, first.RefillPerWindow, 3);
        Assert.Equal(50, first.Burst, 3);

        Assert.NotNull((await first.AcquireAsync(Model, 15, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        Assert.NotNull((await second.AcquireAsync(Model, 11, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        // 24 left: bulk work stops at the reserve, on either instance; interactive work goes on.
        var bulk = await first.AcquireAsync(Model, 1, GenerationPriority.Bulk, CancellationToken.None);
        Assert.Null(bulk.Grant);
        Assert.True(bulk.Wait > TimeSpan.Zero);
        Assert.NotNull((await second.AcquireAsync(Model, 15, GenerationPriority.Interactive, CancellationToken.None)).Grant);
        // 9 left: a 15-image interactive call still goes (it overdraws), after which nothing does until the refill.
        Assert.NotNull((await first.AcquireAsync(Model, 15, GenerationPriority.Interactive, CancellationToken.None)).Grant);
        var after = await second.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(after.Grant);
        // 7 tokens short at 50 per 10 minutes: about 84 s, plus at most a quarter of the window.
        Assert.InRange(after.Wait.TotalSeconds, 80, 84 + 150 + 1);

        // Another model has its own bucket.
        Assert.NotNull((await second.AcquireAsync("doubao-seedream-4-5-251128", 15, GenerationPriority.Bulk, CancellationToken.None)).Grant);
    }

    [Fact]
    public async Task Shared_budget_refills_with_time_and_a_refusal_empties_it_for_everyone()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // Refill 0.9 × 20 = 18 per 2 s (9 a second), burst 2.
        var options = new PacingOptions { ImagesPerMinute = 35, TargetShare = 0.9, Window = TimeSpan.FromSeconds(2) };
        var pacer = SharedPacer(harness, options);

        var grant = (await pacer.AcquireAsync(Model, 15, GenerationPriority.Interactive, CancellationToken.None)).Grant;
        Assert.NotNull(grant);
        Assert.Null((await pacer.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None)).Grant);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.NotNull((await pacer.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None)).Grant);

        await grant.CompleteAsync(PacingOutcome.Answered);

        // A slow refill (0.3 a second, burst 2): one image granted, then a 429 empties the bucket for every instance.
        var slowOptions = new PacingOptions { ImagesPerMinute = 35, TargetShare = 0.9, Window = TimeSpan.FromMinutes(1) };
        var refused = (await SharedPacer(harness, slowOptions).AcquireAsync("doubao-seedream-4-5-251128", 1, GenerationPriority.Interactive, CancellationToken.None)).Grant;
        Assert.NotNull(refused);
        await refused.CompleteAsync(PacingOutcome.RateLimited);
        Assert.Null((await SharedPacer(harness, slowOptions).AcquireAsync("doubao-seedream-4-5-251128", 1, GenerationPriority.Interactive, CancellationToken.None)).Grant);
    }

    [Fact]
    public async Task Concurrent_instances_never_grant_more_than_the_budget()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        // Burst 0.5 × 200 = 100 images; no refill to speak of within the test.
        var options = new PacingOptions { ImagesPerMinute = 215, TargetShare = 0.5, Window = TimeSpan.FromHours(1) };
        var pacers = Enumerable.Range(0, 3).Select(_ => SharedPacer(harness, options)).ToList();

        var granted = 0;
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var decision = await pacers[i % 3].AcquireAsync(Model, 4, GenerationPriority.Interactive, CancellationToken.None);
            if (decision.Grant is not null)
            {
                Interlocked.Add(ref granted, 4);
            }
        }));

        // 100 tokens, each call overdrawing at most 3: never more than 100 + 3 images, and most of the burst used.
        Assert.InRange(granted, 80, 104);
    }

    [Fact]
    public async Task Adaptive_window_shrinks_on_a_refusal_grows_with_answers_and_admits_a_large_call_while_not_full()
    {
        var options = Options.Create(new PacingOptions { InitialInFlightImages = 10, DecreaseFactor = 0.5, InteractiveReserve = 0.5 });
        var pacer = new AdaptivePacer(options, TimeProvider.System);

        var small = (await pacer.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        // 1 of 10 in flight: a 15-image call is admitted (it would starve behind small calls if it had to fit).
        var large = (await pacer.AcquireAsync(Model, 15, GenerationPriority.Interactive, CancellationToken.None)).Grant!;
        var full = await pacer.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None);
        Assert.Null(full.Grant);
        Assert.True(full.Wait > TimeSpan.Zero);

        await large.CompleteAsync(PacingOutcome.RateLimited);
        Assert.Equal(5, pacer.WindowOf(Model), 3);
        // 1 in flight of 5: bulk work may use half the window (2.5), interactive all of it.
        var bulk = (await pacer.AcquireAsync(Model, 2, GenerationPriority.Bulk, CancellationToken.None)).Grant!;
        Assert.Null((await pacer.AcquireAsync(Model, 1, GenerationPriority.Bulk, CancellationToken.None)).Grant);
        Assert.NotNull((await pacer.AcquireAsync(Model, 1, GenerationPriority.Interactive, CancellationToken.None)).Grant);

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
