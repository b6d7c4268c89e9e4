using System.Diagnostics;
using System.Text;
using Azure.Storage.Queues;
using EventGridReceiver;
using Seedream.Functions;
using Seedream.Functions.Telemetry;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

/// <summary>
/// The development host's console shows what the Functions host's console shows (issue 19, tools/DevHost/README.md):
/// an app line inside an invocation, and outside one only from a warning up (RealHost.Tests' <c>BackgroundLogTests</c>
/// measured the real host with the same scenario). The host runs as ./run.sh runs it: its own process, the app's
/// host.json and local settings, its console read as a terminal would.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class BackgroundLogLinesTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_background_information_line_is_not_printed_as_the_Functions_host_drops_it()
    {
        var (lines, console) = await RunScenarioAsync(showBackgroundLines: false);

        Assert.Equal(1, BackgroundLogScenario.Occurrences(console, lines.InsideInvocation));
        Assert.Equal(1, BackgroundLogScenario.Occurrences(console, lines.BackgroundWarning));
        Assert.Equal(0, BackgroundLogScenario.Occurrences(console, lines.BackgroundInformation));
        Assert.DoesNotContain(ScopeFilteredLoggerProvider.NotShownByHostMark, console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ShowBackgroundLines_setting_prints_it_marked_as_not_shown_by_the_Functions_host()
    {
        var (lines, console) = await RunScenarioAsync(showBackgroundLines: true);

        Assert.Equal(1, BackgroundLogScenario.Occurrences(console, lines.InsideInvocation));
        Assert.Equal(1, BackgroundLogScenario.Occurrences(console, lines.BackgroundWarning));
        var background = Assert.Single(console.Split('\n'), line => line.Contains(lines.BackgroundInformation, StringComparison.Ordinal));
        Assert.EndsWith(ScopeFilteredLoggerProvider.NotShownByHostMark, background.TrimEnd('\r'), StringComparison.Ordinal);
        Assert.DoesNotContain(console.Split('\n'), line => line.Contains(lines.InsideInvocation, StringComparison.Ordinal) && line.Contains(ScopeFilteredLoggerProvider.NotShownByHostMark, StringComparison.Ordinal));
    }

    private async Task<(BackgroundLogLines Lines, string Console)> RunScenarioAsync(bool showBackgroundLines)
    {
        await using var events = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null);
        var scriptRoot = Directory.CreateTempSubdirectory("devhost-log-lines-").FullName;
        var console = new StringBuilder();
        Process? process = null;
        try
        {
            File.Copy(Path.Combine(RepositoryPaths.Root, "host.json"), Path.Combine(scriptRoot, "host.json"));
            File.Copy(Path.Combine(RepositoryPaths.Root, "local.settings.json"), Path.Combine(scriptRoot, "local.settings.json"));
            var suffix = Guid.NewGuid().ToString("N")[..12];
            var port = FreePorts.Take(1)[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
            var start = new ProcessStartInfo(DotnetHost)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = scriptRoot, // host.json and local.settings.json are read from here, as under ./run.sh
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Seedream.DevHost.dll"));
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
            start.Environment["GenerationRequestsQueue"] = "gen-" + suffix;
            start.Environment["JobsContainer"] = "jobs-" + suffix;
            start.Environment["EventGrid__TopicEndpoint"] = events.TopicEndpoint.AbsoluteUri;
            start.Environment["EventGrid__TopicKey"] = events.Key;
            start.Environment["Intake__PoisonSweepInterval"] = "00:00:01";
            start.Environment["DevHost__ShowBackgroundLines"] = showBackgroundLines ? "true" : "false";
            process = Process.Start(start)!;
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            DataReceivedEventHandler capture = (_, line) =>
            {
                if (line.Data is not { } text)
                {
                    return;
                }

                lock (console)
                {
                    console.AppendLine(text);
                }

                if (text.Contains("Application started", StringComparison.Ordinal))
                {
                    started.TrySetResult();
                }
            };
            process.OutputDataReceived += capture;
            process.ErrorDataReceived += capture;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await started.Task.WaitAsync(s_timeout);

            var lines = await BackgroundLogScenario.RunAsync(
                (name, encoding) => new QueueClient(azurite.ConnectionString, name, new QueueClientOptions { MessageEncoding = encoding }),
                events, s_timeout, "gen-" + suffix);

            // Each line was logged before its event was sent; the console writes on its own thread.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!(Text(console).Contains(lines.InsideInvocation, StringComparison.Ordinal) && Text(console).Contains(lines.BackgroundWarning, StringComparison.Ordinal))
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            return (lines, Text(console));
        }
        finally
        {
            if (process is not null)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                process.Dispose();
            }

            Directory.Delete(scriptRoot, recursive: true);
        }
    }

    private static string Text(StringBuilder console)
    {
        lock (console)
        {
            return console.ToString();
        }
    }

    /// <summary>The dotnet host running this test (set by the CLI under dotnet test), else the one on the PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";
}
