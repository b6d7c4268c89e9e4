using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Seedream.Functions;

/// <summary>
/// Writes a JSON body itself (no MVC executors needed), so the same results work under the Functions host
/// and the development host.
/// </summary>
public sealed class JsonResponseResult : IActionResult
{
    public const string ProblemContentType = "application/problem+json";

    public JsonResponseResult(int statusCode, object body, string contentType = "application/json")
    {
        StatusCode = statusCode;
        Body = body;
        ContentType = contentType;
    }

    public int StatusCode { get; }

    public object Body { get; }

    public string ContentType { get; }

    public Dictionary<string, string> Headers { get; } = [];

    /// <summary>An RFC 9457 problem; <paramref name="errors"/> maps each field path to what is wrong with it.</summary>
    public static JsonResponseResult Problem(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(status, new ProblemBody(ProblemType(status), title, status, detail, errors), ProblemContentType);

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), JobJson.Options, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The RFC 9110 section defining the status, as ASP.NET Core's own problem details do.</summary>
    private static string ProblemType(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        StatusCodes.Status404NotFound => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        StatusCodes.Status409Conflict => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        _ => "about:blank",
    };

    private sealed record ProblemBody(string Type, string Title, int Status, string Detail, IReadOnlyDictionary<string, string[]>? Errors);
}

/// <summary>Streams a stored image to the caller.</summary>
public sealed class ImageContentResult(Stream content, string contentType, long length) : IActionResult
{
    public string ContentType => contentType;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        await using (content.ConfigureAwait(false))
        {
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.ContentLength = length;
            response.Headers.CacheControl = "private, max-age=3600";
            await content.CopyToAsync(response.Body, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
