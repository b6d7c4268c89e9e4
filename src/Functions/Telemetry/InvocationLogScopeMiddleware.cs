using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Seedream.Functions.Telemetry;

/// <summary>
/// Puts the invocation id into the log scope under the name the worker's gRPC log writer reads
/// (<c>AzureFunctions_InvocationId</c>). The Functions host shows a worker log line (console, Log Stream, its log
/// pipeline) only when that line names a running invocation. With Microsoft.Azure.Functions.Worker.OpenTelemetry 1.2.0,
/// <c>UseFunctionsWorkerDefaults()</c> switches to the 1.37.0 telemetry schema, whose invocation scope carries
/// <c>faas.invocation_id</c> instead, so the host dropped every line of ours (issue 19). Upstream:
/// https://github.com/Azure/azure-functions-dotnet-worker/issues/3489 and
/// https://github.com/Azure/azure-functions-dotnet-worker/issues/3487; remove this once a fixed package is used
/// (RealHost.Tests' log test then still passes without it).
/// </summary>
public sealed class InvocationLogScopeMiddleware : IFunctionsWorkerMiddleware
{
    /// <summary>The scope key the worker's host log writer looks for.</summary>
    public const string InvocationIdKey = "AzureFunctions_InvocationId";

    private readonly ILogger<InvocationLogScopeMiddleware> _logger;

    public InvocationLogScopeMiddleware(ILogger<InvocationLogScopeMiddleware> logger) => _logger = logger;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        using (_logger.BeginScope(new[] { new KeyValuePair<string, object>(InvocationIdKey, context.InvocationId) }))
        {
            await next(context).ConfigureAwait(false);
        }
    }
}
