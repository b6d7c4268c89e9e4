using Seedream.Testing;

namespace Seedream.RealHost.Tests;

/// <summary>
/// Which worker lines the real Functions host shows (issue 19): a line inside an invocation once (gRPC), a background
/// service's information line not at all (the host drops a line naming no running invocation), a background warning
/// once, as a <c>Host.Function.Console</c> line (the worker writes it to its standard output: HostConsoleLines).
/// DevHost.Tests' <c>BackgroundLogLinesTests</c> runs the same scenario against the development host's console.
/// </summary>
[Collection(RealHostCollection.Name)]
public sealed class BackgroundLogTests(RealHostFixture host)
{
    [SkippableFact]
    public async Task A_background_warning_reaches_the_host_console_once_and_background_information_does_not()
    {
        Skip.If(RealHostFixture.Runner is null, RealHostFixture.SkipReason);
        var lines = await BackgroundLogScenario.RunAsync((name, encoding) => host.Queue(name, encoding), host.Events, TimeSpan.FromMinutes(2));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        string log;
        while (!((log = host.HostLog()).Contains(lines.InsideInvocation, StringComparison.Ordinal) && log.Contains(lines.BackgroundWarning, StringComparison.Ordinal))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // a line that would come late comes now
        log = host.HostLog();
        Assert.Equal(1, BackgroundLogScenario.Occurrences(log, lines.InsideInvocation));
        Assert.Equal(0, BackgroundLogScenario.Occurrences(log, lines.BackgroundInformation));
        Assert.Equal(1, BackgroundLogScenario.Occurrences(log, lines.BackgroundWarning));

        // The warning came through the worker's standard output: the host's console category, the worker's own level.
        var record = log[..log.IndexOf(lines.BackgroundWarning, StringComparison.Ordinal)];
        record = record[record.LastIndexOf("\ninfo: ", StringComparison.Ordinal)..];
        Assert.StartsWith("\ninfo: Host.Function.Console", record, StringComparison.Ordinal);
        Assert.Contains("warn: Seedream.Functions.Intake.DeadLetters", record, StringComparison.Ordinal);
    }
}
