using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Http;

/// <summary>
/// ASP.NET Core's own results (<see cref="TypedResults"/>: <c>ProblemDetails</c>, <c>HttpValidationProblemDetails</c>,
/// JSON) as the <see cref="IActionResult"/> that function methods return. They execute against the HttpContext alone,
/// so they need no MVC executors and run the same under the Functions host, the development host and the tests.
/// </summary>
public static class HttpResults
{
    /// <summary>400 <c>application/problem+json</c> with <c>errors</c>: every field path at fault and what is wrong with it.</summary>
    public static IActionResult ValidationProblem(IReadOnlyDictionary<string, string[]> errors, string title, string detail) =>
        new ResultAction(TypedResults.ValidationProblem(errors, detail: detail, title: title, type: "https://tools.ietf.org/html/rfc9110#section-15.5.1"));

    /// <summary>An RFC 9457 problem without field errors.</summary>
    public static IActionResult Problem(int status, string title, string detail) =>
        new ResultAction(TypedResults.Problem(detail: detail, statusCode: status, title: title));

    /// <summary>A JSON body in the pipeline's JSON shape (camelCase, snake_case enums).</summary>
    public static IActionResult Json<T>(int status, T body) => new ResultAction(TypedResults.Json(body, JobJson.Options, statusCode: status));

    /// <summary>202 with <c>Location</c>.</summary>
    public static IActionResult Accepted<T>(string location, T body)
    {
        return new ResultAction(new AcceptedWithJson<T>(location, TypedResults.Json(body, JobJson.Options, statusCode: StatusCodes.Status202Accepted)));
    }

    private sealed class ResultAction(IResult result) : IActionResult
    {
        public IResult Result => result;

        public Task ExecuteResultAsync(ActionContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return result.ExecuteAsync(context.HttpContext);
        }
    }

    private sealed class AcceptedWithJson<T>(string location, JsonHttpResult<T> json) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return json.ExecuteAsync(httpContext);
        }
    }
}
