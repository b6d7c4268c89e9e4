using System.Diagnostics;
using Seedream.Functions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;

namespace Seedream.DevHost;

/// <summary>Maps HTTP-triggered functions to ASP.NET Core endpoints under the host.json route prefix, without function keys (as Core Tools).</summary>
internal static class HttpFunctionEndpoints
{
    public static void MapHttpFunctions(this IEndpointRouteBuilder endpoints, IEnumerable<HttpFunctionDefinition> functions, string routePrefix)
    {
        foreach (var function in functions)
        {
            var route = function.Trigger.Route ?? function.Name;
            var pattern = "/" + string.Join('/', new[] { routePrefix, route.Trim('/') }.Where(part => part.Length > 0));
            var methods = function.Trigger.Methods is { Length: > 0 } declared
                ? declared.Select(method => method.ToUpperInvariant()).ToArray()
                : null;

            RequestDelegate handler = context => InvokeAsync(function, context);
            var endpoint = methods is null ? endpoints.Map(pattern, handler) : endpoints.MapMethods(pattern, methods, handler);
            endpoint.WithDisplayName($"Functions.{function.Name}");
        }
    }

    private static async Task InvokeAsync(HttpFunctionDefinition function, HttpContext context)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(FunctionsDevHost.FunctionLogCategory(function.Name));
        var parameters = function.Method.GetParameters();
        var arguments = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            if (parameter.ParameterType == typeof(HttpRequest))
            {
                arguments[i] = context.Request;
            }
            else if (parameter.ParameterType == typeof(CancellationToken))
            {
                arguments[i] = context.RequestAborted;
            }
            else
            {
                var text = context.Request.RouteValues.TryGetValue(parameter.Name!, out var routeValue) ? Convert.ToString(routeValue, System.Globalization.CultureInfo.InvariantCulture) : null;
                if (text is null && parameter.HasDefaultValue)
                {
                    arguments[i] = parameter.DefaultValue;
                }
                else if (RouteValueBinder.TryConvert(text, parameter.ParameterType, out var value))
                {
                    arguments[i] = value;
                }
                else
                {
                    await Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"Route value '{parameter.Name}' ('{text}') is not a valid {parameter.ParameterType.Name}.")
                        .ExecuteAsync(context);
                    return;
                }
            }
        }

        var stopwatch = Stopwatch.StartNew();
        IActionResult result;
        try
        {
            result = (IActionResult?)await FunctionInvoker.InvokeAsync(function, context.RequestServices, arguments)
                ?? throw new InvalidOperationException($"Function '{function.Name}' returned no IActionResult.");
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The same mapping as the Functions host's HttpFailureMiddleware: a missing job 404, a storage outage 503.
            if (await HttpFailures.TryWriteAsync(exception, context))
            {
                logger.LogWarning(exception, "Executed 'Functions.{Function}' ({Method} {Path} -> {Status}, Duration={Duration} ms)",
                    function.Name, context.Request.Method, context.Request.Path, context.Response.StatusCode, stopwatch.ElapsedMilliseconds);
                return;
            }

            logger.LogError(exception, "Executed 'Functions.{Function}' (Failed, Duration={Duration} ms)", function.Name, stopwatch.ElapsedMilliseconds);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
        // A created resource's address (an accepted job's status URL) makes the line say which job it was.
        if (context.Response.Headers.Location is { Count: > 0 } location)
        {
            logger.LogInformation("Executed 'Functions.{Function}' (Succeeded, {Method} {Path} -> {Status} {Location}, Duration={Duration} ms)",
                function.Name, context.Request.Method, context.Request.Path, context.Response.StatusCode, location.ToString(), stopwatch.ElapsedMilliseconds);
            return;
        }

        logger.LogInformation("Executed 'Functions.{Function}' (Succeeded, {Method} {Path} -> {Status}, Duration={Duration} ms)",
            function.Name, context.Request.Method, context.Request.Path, context.Response.StatusCode, stopwatch.ElapsedMilliseconds);
    }
}
