using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// <c>./run.sh --smoke</c> as a newcomer runs it: the example with a callback to the local receiver, which verifies the
/// delivery's signature with the NuGet StandardWebhooks package (the app signs with its own code).
/// </summary>
public sealed partial class LocalSmokeRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Smoke_run_receives_the_jobs_callback_with_a_verified_signature()
    {
        var clock = Stopwatch.StartNew();
        using var budget = new CancellationTokenSource(s_budget);
        var run = await LocalStack.RunToEndAsync(["--smoke"], budget.Token);
        output.WriteLine($"Elapsed {clock.Elapsed}.\n{run}");

        Assert.Equal(0, run.ExitCode);
        var id = AcceptedId().Match(run.StandardOutput).Groups[1].Value;
        Assert.NotEmpty(id);

        // The callback block lists the deliveries as the receiver recorded them: the job's ended notification, verified.
        var block = run.StandardOutput[(run.StandardOutput.IndexOf("\nCallback:\n", StringComparison.Ordinal) + "\nCallback:\n".Length)..];
        var deliveries = JsonDocument.Parse(block[..(block.IndexOf("\n]", StringComparison.Ordinal) + 2)]).RootElement.EnumerateArray().ToList();
        var delivery = Assert.Single(deliveries);
        Assert.True(delivery.GetProperty("verified").GetBoolean(), delivery.ToString());
        Assert.Equal($"{id}.completed", delivery.GetProperty("webhookId").GetString());
        Assert.Equal("/webhooks/smoke", delivery.GetProperty("path").GetString());
        Assert.Equal(200, delivery.GetProperty("answeredStatus").GetInt32());
    }

    [GeneratedRegex(@"run\.sh: accepted (\S+);")]
    private static partial Regex AcceptedId();
}
