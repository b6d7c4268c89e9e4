using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Seedream.Functions.Http;

/// <summary>Worker middleware: an HTTP function's missing job or storage outage becomes its problem answer (<see cref="HttpFailures"/>).</summary>
public sealed class HttpFailureMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (context.GetHttpContext() is { } http && !http.RequestAborted.IsCancellationRequested)
        {
            // Answered with the problem, the function's failure is not the host's 500; anything else is.
            if (!await HttpFailures.TryWriteAsync(e, http).ConfigureAwait(false))
            {
                throw;
            }
        }
    }
}
