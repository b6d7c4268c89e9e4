namespace Seedream.Benchmarks.Tests;

/// <summary>A tiny run of the webhooks benchmark: relations, not timings.</summary>
public sealed class WebhookBenchmarkTests
{
    [Fact]
    public async Task Every_callback_arrives_verified_and_generations_end_before_a_slow_receiver_has_taken_them_all()
    {
        var options = new WebhookBenchmarkOptions(Jobs: 12, ReceiverDelay: TimeSpan.FromSeconds(2), Rounds: 1, Submitters: 2, Timeout: TimeSpan.FromMinutes(2));
        using var log = new StringWriter();

        var result = await WebhookBenchmark.RunAsync(options, log, CancellationToken.None);

        Assert.Equal(2, result.Passes.Count);
        Assert.Equal(options.Jobs, result.ExpectedDeliveries);
        Assert.Equal(result.ExpectedDeliveries, result.Delivered);
        Assert.Equal(result.Delivered, result.Verified);

        // Deliveries run beside the generations, not inside them: the generations of the "with" pass ended while callbacks
        // were still being held by the slow receiver.
        var with = Assert.Single(result.Passes, p => p.Callbacks);
        Assert.True(with.DeliveredWhenGenerationsEnded < with.Jobs, $"{with.DeliveredWhenGenerationsEnded} of {with.Jobs} callbacks delivered when the generations ended");
        Assert.Contains("webhook", WebhookBenchmark.Markdown(options, result, ["webhooks"]), StringComparison.Ordinal);
    }
}
