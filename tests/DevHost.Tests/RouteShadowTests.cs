using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions;

namespace Seedream.DevHost.Tests;

/// <summary>
/// The route-shadow defect of issue 19 (the real host's first-match router answered <c>GET /api/generations/view</c>
/// with <c>generations/{id}</c>), checked on the app's own route templates as the attributes declare them: read by
/// reflection over every <c>[HttpTrigger]</c> of the Functions assembly (not through the development host's catalog),
/// then judged by the development host's startup guard (<see cref="RouteRules"/>). The last two tests put the old
/// defects back into the app's real route set, so the check is shown to fail on them.
/// </summary>
public sealed class RouteShadowTests
{
    private static readonly IInlineConstraintResolver s_constraints = new ServiceCollection().AddRouting().BuildServiceProvider().GetRequiredService<IInlineConstraintResolver>();

    [Fact]
    public void No_route_of_the_app_can_shadow_another_under_a_first_match_router()
    {
        var routes = AppHttpFunctions();

        Assert.Contains(routes, f => f.Name == nameof(GetGeneration) && f.Trigger.Route == "generations/{id}");
        Assert.Contains(routes, f => f.Name == nameof(ViewRecentGenerations));
        RouteRules.RefuseAmbiguous(routes, "api", s_constraints);
    }

    [Fact]
    public void Every_typed_route_value_of_the_app_carries_its_constraint()
    {
        var typed = 0;
        foreach (var function in AppHttpFunctions())
        {
            foreach (var parameter in RouteBound(function))
            {
                typed += parameter.ParameterType == typeof(string) ? 0 : 1;
                Assert.Null(RouteRules.MissingTypeConstraint(RouteOf(function), parameter));
            }
        }

        Assert.True(typed > 0, "the app has typed route values ({index:int}); none was found, so the reflection missed them");
    }

    [Fact]
    public void The_old_generations_view_beside_generations_id_is_flagged()
    {
        var routes = AppHttpFunctions()
            .Select(f => f.Name == nameof(ViewRecentGenerations) ? f with { Trigger = Copy(f.Trigger, "generations/view") } : f)
            .ToList();

        var failure = Assert.Throws<InvalidOperationException>(() => RouteRules.RefuseAmbiguous(routes, "api", s_constraints));
        Assert.Contains("'api/generations/{id}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'api/generations/view'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_typed_route_value_without_its_constraint_is_flagged()
    {
        var image = Assert.Single(AppHttpFunctions(), f => f.Name == nameof(GetGenerationImage));
        var index = Assert.Single(RouteBound(image), p => p.ParameterType == typeof(int));

        Assert.NotNull(RouteRules.MissingTypeConstraint(RouteOf(image).Replace(":int", string.Empty, StringComparison.Ordinal), index));
    }

    /// <summary>Every method parameter carrying <c>[HttpTrigger]</c> in the Functions assembly, with its function's name.</summary>
    private static List<HttpFunctionDefinition> AppHttpFunctions() =>
        typeof(SubmitGeneration).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Select(method => (type, method, function: method.GetCustomAttribute<FunctionAttribute>())))
            .SelectMany(m => m.method.GetParameters()
                .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
                .OfType<HttpTriggerAttribute>()
                .Select(trigger => new HttpFunctionDefinition(m.function?.Name ?? throw new InvalidOperationException($"{m.type.Name}.{m.method.Name} has [HttpTrigger] but no [Function]"), m.type, m.method, trigger)))
            .ToList();

    /// <summary>The method's parameters that take a route value (not the request, its token or the context).</summary>
    private static IEnumerable<ParameterInfo> RouteBound(HttpFunctionDefinition function) =>
        function.Method.GetParameters().Where(p => p.ParameterType != typeof(HttpRequest) && p.ParameterType != typeof(CancellationToken) && p.ParameterType != typeof(FunctionContext)
            && RouteOf(function).Contains("{" + p.Name, StringComparison.OrdinalIgnoreCase));

    private static string RouteOf(HttpFunctionDefinition function) => function.Trigger.Route ?? function.Name;

    private static HttpTriggerAttribute Copy(HttpTriggerAttribute trigger, string route) =>
        new(trigger.AuthLevel, trigger.Methods ?? []) { Route = route };
}
