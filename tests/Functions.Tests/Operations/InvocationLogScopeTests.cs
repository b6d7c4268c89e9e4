using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Processing;
using Seedream.Functions.Telemetry;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// The Functions host shows a worker log line only when its scope names the invocation as <c>AzureFunctions_InvocationId</c>
/// (issue 19: with Worker.OpenTelemetry 1.2.0 none of the app's lines reached the host console).
/// </summary>
public sealed class InvocationLogScopeTests
{
    [Fact]
    public async Task Lines_logged_during_an_invocation_carry_its_id_under_the_key_the_worker_host_writer_reads()
    {
        var provider = new ScopeRecordingProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(provider));
        var middleware = new InvocationLogScopeMiddleware(factory.CreateLogger<InvocationLogScopeMiddleware>());
        var appLogger = factory.CreateLogger("Seedream.Functions.Processing.GenerationRunner");

        await middleware.Invoke(new InvocationOnly("inv-42"), _ =>
        {
            appLogger.LogInformation("Job j1 ended succeeded.");
            return Task.CompletedTask;
        });
        appLogger.LogInformation("after the invocation");

        Assert.Equal("inv-42", provider.Lines["Job j1 ended succeeded."]);
        Assert.Null(provider.Lines["after the invocation"]);
    }

    private sealed class ScopeRecordingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public Dictionary<string, string?> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Recorder(ScopeRecordingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                string? invocation = null;
                owner._scopes.ForEachScope((scope, _) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            if (key == InvocationLogScopeMiddleware.InvocationIdKey)
                            {
                                invocation = value?.ToString();
                            }
                        }
                    }
                }, (object?)null);
                owner.Lines[formatter(state, exception)] = invocation;
            }
        }
    }

    /// <summary>A function context that knows only its invocation id (all the middleware reads).</summary>
    private sealed class InvocationOnly(string invocationId) : FunctionContext
    {
        public override string InvocationId => invocationId;
        public override string FunctionId => throw new NotSupportedException();
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();
        public override IDictionary<object, object> Items { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override IInvocationFeatures Features => throw new NotSupportedException();
    }
}
