using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Seedream.Functions.Http;

namespace Seedream.Functions.Tests;

/// <summary>Runs an HTTP function's result against a context as both hosts do, failures mapped by <see cref="HttpFailures"/> (their middleware).</summary>
internal static class HostedFunction
{
    public static async Task<HttpResult> ExecuteAsync(HttpContext context, Func<Task<IActionResult>> invoke)
    {
        var body = new MemoryStream();
        context.Response.Body = body;
        IActionResult? result = null;
        try
        {
            result = await invoke();
        }
        catch (Exception e)
        {
            if (!await HttpFailures.TryWriteAsync(e, context))
            {
                throw;
            }
        }

        if (result is not null)
        {
            await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        }

        return new HttpResult(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, body.ToArray());
    }
}
