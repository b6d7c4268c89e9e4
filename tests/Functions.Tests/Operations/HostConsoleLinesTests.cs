using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Intake;
using Seedream.Functions.Telemetry;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// The worker's path for lines the Functions host would drop (issue 19): outside an invocation, warnings go to standard
/// output and errors to standard error, which the host logs as <c>Host.Function.Console</c>; information outside an
/// invocation and every line inside one stay off those streams (inside, the gRPC path shows them once). RealHost.Tests'
/// <c>BackgroundLogTests</c> checks the host's side.
/// </summary>
public sealed class HostConsoleLinesTests
{
    [Fact]
    public void Outside_an_invocation_warnings_and_errors_reach_the_standard_streams_and_nothing_else_does()
    {
        var nonce = Guid.NewGuid().ToString("N");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var (originalOutput, originalError) = (Console.Out, Console.Error);
        ServiceProvider services;
        ILogger logger;
        try
        {
            // The console logger takes the streams when it is created.
            Console.SetOut(output);
            Console.SetError(error);
            services = new ServiceCollection().AddLogging(logging => logging.AddBackgroundLinesForHostConsole()).BuildServiceProvider();
            logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Seedream.Functions.Intake.PoisonQueueDrain");
        }
        finally
        {
            Console.SetOut(originalOutput);
            Console.SetError(originalError);
        }

        using (services)
        {
            logger.LogInformation("background information {Nonce}", nonce);
            logger.LogWarning("background warning {Nonce}", nonce);
            logger.LogError("background error {Nonce}", nonce);
            using (logger.BeginScope(new[] { new KeyValuePair<string, object>(InvocationLogScopeMiddleware.InvocationIdKey, "inv-1") }))
            {
                logger.LogWarning("invocation warning {Nonce}", nonce);
                logger.LogError("invocation error {Nonce}", nonce);
            }
        } // disposing the provider writes what it queued

        var written = output.ToString();
        var errors = error.ToString();
        Assert.Single(Lines(written), line => line.Contains($"background warning {nonce}", StringComparison.Ordinal) && line.StartsWith("warn: Seedream.Functions.Intake.PoisonQueueDrain", StringComparison.Ordinal));
        Assert.Single(Lines(errors), line => line.Contains($"background error {nonce}", StringComparison.Ordinal) && line.StartsWith("fail: ", StringComparison.Ordinal));
        Assert.DoesNotContain($"background error {nonce}", written, StringComparison.Ordinal);
        Assert.DoesNotContain($"background information {nonce}", written + errors, StringComparison.Ordinal);
        Assert.DoesNotContain($"invocation warning {nonce}", written + errors, StringComparison.Ordinal);
        Assert.DoesNotContain($"invocation error {nonce}", written + errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LogLevel.Information, false, false)]
    [InlineData(LogLevel.Warning, false, true)]
    [InlineData(LogLevel.Critical, false, true)]
    [InlineData(LogLevel.Information, true, true)]
    [InlineData(LogLevel.Warning, true, true)]
    public void The_host_shows_every_invocation_line_and_background_lines_from_a_warning_up(LogLevel level, bool insideInvocation, bool shown) =>
        Assert.Equal(shown, HostConsoleLines.ShownByHost(level, insideInvocation));

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
