using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Seedream.Functions.Telemetry;

/// <summary>
/// Which worker log lines the Functions host shows (its console, Log Stream, its log pipeline). A line sent over the
/// worker's gRPC channel is shown only when it names a running invocation (<see cref="InvocationLogScopeMiddleware.InvocationIdKey"/>
/// in its scope); the host drops the rest (GrpcWorkerChannel.Log), so lines of background services (the poison drain,
/// the pacer, startup) never reach it: https://github.com/Azure/azure-functions-dotnet-worker/issues/702, and for the
/// scope key https://github.com/Azure/azure-functions-dotnet-worker/issues/3489 and …/issues/3487. The host does read
/// the worker's standard output and error, and logs each line under <c>Host.Function.Console</c> (output as
/// Information, error as Error). The worker writes there the lines outside an invocation from
/// <see cref="MinimumLevelOutsideInvocation"/> up, so an operator sees a background warning (a dead letter, a failed
/// drain pass) in Azure; lines inside an invocation keep the gRPC path only, so none is shown twice.
/// </summary>
public static class HostConsoleLines
{
    /// <summary>Lines outside an invocation reach the host from this level up (as <c>Host.Function.Console</c>).</summary>
    public const LogLevel MinimumLevelOutsideInvocation = LogLevel.Warning;

    /// <summary>True when the innermost scopes name an invocation the way the host reads it.</summary>
    public static bool NamesInvocation(IExternalScopeProvider? scopes)
    {
        if (scopes is null)
        {
            return false;
        }

        var box = new FoundBox();
        scopes.ForEachScope(static (scope, state) =>
        {
            if (!state.Found && scope is IEnumerable<KeyValuePair<string, object>> pairs)
            {
                state.Found = pairs.Any(p => p.Key == InvocationLogScopeMiddleware.InvocationIdKey && p.Value is not null);
            }
        }, box);
        return box.Found;
    }

    /// <summary>Whether the Functions host shows a worker line: inside an invocation always, outside from <see cref="MinimumLevelOutsideInvocation"/>.</summary>
    public static bool ShownByHost(LogLevel level, bool insideInvocation) =>
        insideInvocation || level >= MinimumLevelOutsideInvocation;

    /// <summary>
    /// Writes the lines outside an invocation from <see cref="MinimumLevelOutsideInvocation"/> up to standard output
    /// (errors to standard error), one line each, for the Functions host to pick up. The worker removes the console
    /// logger (it would repeat the gRPC lines); this one writes only what the gRPC path cannot deliver.
    /// </summary>
    public static ILoggingBuilder AddBackgroundLinesForHostConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.ColorBehavior = LoggerColorBehavior.Disabled; // the host adds its own time and level
        });
        logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Error);
        return logging.FilterConsoleByInvocation((_, level, insideInvocation) => !insideInvocation && ShownByHost(level, insideInvocation) ? LineVerdict.Write : LineVerdict.Drop);
    }

    /// <summary>
    /// Replaces the console logger added by <c>AddConsole</c>/<c>AddSimpleConsole</c> (same options and formatters) with
    /// one that writes a line only as <paramref name="rule"/> decides (category, level, inside an invocation).
    /// </summary>
    public static ILoggingBuilder FilterConsoleByInvocation(this ILoggingBuilder logging, Func<string, LogLevel, bool, LineVerdict> rule)
    {
        ArgumentNullException.ThrowIfNull(logging);
        foreach (var plain in logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            logging.Services.Remove(plain);
        }

        logging.Services.AddSingleton<ILoggerProvider>(services => new ScopeFilteredLoggerProvider(
            new ConsoleLoggerProvider(services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), services.GetServices<ConsoleFormatter>()), rule));
        return logging;
    }

    private sealed class FoundBox
    {
        public bool Found { get; set; }
    }
}

/// <summary>What a <see cref="ScopeFilteredLoggerProvider"/> does with one line.</summary>
public enum LineVerdict
{
    Drop,
    Write,

    /// <summary>Written with <see cref="ScopeFilteredLoggerProvider.NotShownByHostMark"/> appended.</summary>
    WriteMarked,
}

/// <summary>
/// A logger provider that passes a line to the provider it wraps only as a rule decides from the line's category, level
/// and whether its scope names an invocation (which a category filter cannot see).
/// </summary>
public sealed class ScopeFilteredLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    public const string NotShownByHostMark = " [not shown by the Azure Functions host]";

    private readonly ILoggerProvider _inner;
    private readonly Func<string, LogLevel, bool, LineVerdict> _rule;
    private IExternalScopeProvider? _scopes;

    /// <param name="rule">Category, level, inside an invocation: the verdict.</param>
    public ScopeFilteredLoggerProvider(ILoggerProvider inner, Func<string, LogLevel, bool, LineVerdict> rule)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _rule = rule ?? throw new ArgumentNullException(nameof(rule));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName, _inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        _scopes = scopeProvider;
        (_inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);
    }

    public void Dispose() => _inner.Dispose();

    private sealed class Logger(ScopeFilteredLoggerProvider provider, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            switch (provider._rule(category, logLevel, HostConsoleLines.NamesInvocation(provider._scopes)))
            {
                case LineVerdict.Write:
                    inner.Log(logLevel, eventId, state, exception, formatter);
                    break;
                case LineVerdict.WriteMarked:
                    inner.Log(logLevel, eventId, state, exception, (s, e) => formatter(s, e) + NotShownByHostMark);
                    break;
            }
        }
    }
}
