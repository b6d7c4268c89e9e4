using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Seedream.Functions;
using Seedream.Functions.Http;

namespace Seedream.DevHost;

/// <summary>Maps HTTP-triggered functions to ASP.NET Core endpoints under the host.json route prefix, without function keys (as Core Tools).</summary>
internal static class HttpFunctionEndpoints
{
    public static void MapHttpFunctions(this IEndpointRouteBuilder endpoints, IEnumerable<HttpFunctionDefinition> functions, string routePrefix)
    {
        var all = functions.ToList();
        RouteRules.RefuseAmbiguous(all, routePrefix, endpoints.ServiceProvider.GetRequiredService<IInlineConstraintResolver>());

        // One endpoint per template, dispatching on the method: a method no function on the route takes answers 404,
        // as under the real Functions host (ASP.NET Core's method matching would answer 405, even where the route's
        // constraints reject the path).
        foreach (var group in all.GroupBy(function => "/" + string.Join('/', new[] { routePrefix, (function.Trigger.Route ?? function.Name).Trim('/') }.Where(part => part.Length > 0))))
        {
            var byMethod = group.ToList();
            RequestDelegate handler = context =>
                byMethod.FirstOrDefault(function => function.Trigger.Methods is not { Length: > 0 } methods || methods.Contains(context.Request.Method, StringComparer.OrdinalIgnoreCase)) is { } function
                    ? InvokeAsync(function, context)
                    : NotFound(context);
            endpoints.Map(group.Key, handler).WithDisplayName($"Functions.{string.Join('|', byMethod.Select(function => function.Name))}");
        }
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
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
        logger.LogInformation("Executed 'Functions.{Function}' (Succeeded, {Method} {Path} -> {Status}, Duration={Duration} ms)",
            function.Name, context.Request.Method, context.Request.Path, context.Response.StatusCode, stopwatch.ElapsedMilliseconds);
    }
}
