using System.Reflection;
using System.Runtime.ExceptionServices;
using Seedream.Functions;
using Seedream.Functions.Telemetry;

namespace Seedream.DevHost;

/// <summary>Creates the function class with constructor DI (as the isolated worker does) and calls the method.</summary>
internal static class FunctionInvoker
{
    /// <summary>
    /// Calls the function inside a log scope naming a new invocation id, as the app's InvocationLogScopeMiddleware does
    /// in the worker: the console then tells a line of an invocation from a background service's (HostConsoleLines).
    /// </summary>
    public static async Task<object?> InvokeAsync(FunctionDefinition function, IServiceProvider services, object?[] arguments)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(FunctionsDevHost.FunctionLogCategory(function.Name));
        using (logger.BeginScope(new[] { new KeyValuePair<string, object>(InvocationLogScopeMiddleware.InvocationIdKey, Guid.NewGuid().ToString()) }))
        {
            return await InvokeInScopeAsync(function, services, arguments).ConfigureAwait(false);
        }
    }

    private static async Task<object?> InvokeInScopeAsync(FunctionDefinition function, IServiceProvider services, object?[] arguments)
    {
        var instance = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, function.FunctionType);
        try
        {
            object? returned;
            try
            {
                returned = function.Method.Invoke(instance, arguments);
            }
            catch (TargetInvocationException exception) when (exception.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
                throw;
            }

            if (returned is not Task task)
            {
                return returned;
            }

            await task.ConfigureAwait(false);
            // Read Result through the declared Task<T>: the runtime type of a plain Task can be a Task<VoidTaskResult>.
            return function.Method.ReturnType.IsGenericType
                ? function.Method.ReturnType.GetProperty(nameof(Task<object>.Result))!.GetValue(task)
                : null;
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
