using System.Reflection;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Seedream.Functions.Http;

/// <summary>No job has this id (or the id is malformed): every route about one job answers 404.</summary>
public sealed class JobNotFoundException : Exception
{
    public JobNotFoundException(string jobId)
        : base($"There is no generation job '{jobId}'.") => JobId = jobId;

    public JobNotFoundException()
        : this(string.Empty)
    {
    }

    public JobNotFoundException(string message, Exception innerException)
        : base(message, innerException) => JobId = string.Empty;

    public string JobId { get; }
}

/// <summary>
/// What an HTTP function's exception means to the caller, for every route in one place: a missing job is a 404
/// problem, storage that cannot be reached or refuses (Azure <see cref="RequestFailedException"/>, a connection
/// failure) is a 503 problem with <c>Retry-After</c>. Run by <see cref="HttpFailureMiddleware"/> in the Functions
/// host and by the development host around its invocations; anything else stays the host's 500.
/// </summary>
public static class HttpFailures
{
    /// <summary>Seconds a caller is asked to wait after a storage outage.</summary>
    public const string RetryAfterSeconds = "5";

    /// <summary>The problem for <paramref name="exception"/>, or null when it is not one this maps.</summary>
    public static IActionResult? ResultFor(Exception exception, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        switch (Unwrap(exception))
        {
            case JobNotFoundException missing:
                return GenerationProblems.JobNotFound(missing.JobId);
            case RequestFailedException or HttpRequestException:
                response.Headers.RetryAfter = RetryAfterSeconds;
                return HttpResults.Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                    "The pipeline's storage could not be reached or refused the request; nothing was changed by this request. Retry shortly.");
            default:
                return null;
        }
    }

    /// <summary>Writes the mapped problem; false when <paramref name="exception"/> is not one this maps (or the response has started).</summary>
    public static async Task<bool> TryWriteAsync(Exception exception, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted || ResultFor(exception, context.Response) is not { } result)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor())).ConfigureAwait(false);
        return true;
    }

    // Invocation (reflection) and the SDK's retries wrap the cause; an aggregate maps when all its causes map the same way.
    private static Exception Unwrap(Exception exception) => exception switch
    {
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.All(e => Unwrap(e) is RequestFailedException or HttpRequestException) => Unwrap(aggregate.InnerExceptions[0]),
        _ => exception,
    };
}
