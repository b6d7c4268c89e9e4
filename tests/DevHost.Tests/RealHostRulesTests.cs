using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions;

namespace Seedream.DevHost.Tests;

/// <summary>
/// Where the real Functions host differs, the development host refuses at startup rather than behave better (issue 19,
/// tools/DevHost/README.md): routes two functions can both match, typed route values without their constraint, and
/// triggers on poison queues. Each of these was accepted by the development host before.
/// </summary>
public sealed class RealHostRulesTests
{
    private static readonly IInlineConstraintResolver s_constraints = new ServiceCollection().AddRouting().BuildServiceProvider().GetRequiredService<IInlineConstraintResolver>();

    [Theory]
    [InlineData("generations/{id}", "generations/view")]                 // issue 19: the real host answered the page with GetGeneration
    [InlineData("generations/{id}/images/{index}", "generations/{id}/images/latest")]
    [InlineData("{document?}", "models")]
    public void Routes_both_matching_one_path_stop_the_host(string parameterized, string literal)
    {
        var failure = Assert.Throws<InvalidOperationException>(() => RouteRules.RefuseAmbiguous([Http("A", parameterized), Http("B", literal)], "api", s_constraints));
        Assert.Contains("both match", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generations/{id}", "view/generations")]
    [InlineData("generations/{id}/images/{index:int}", "generations/{id}/images/latest")]
    [InlineData("{document:regex(^index\\.html$)?}", "models")]
    [InlineData("generations/{id}", "generations/{id}/view")]
    public void Routes_no_path_can_match_twice_are_accepted(string first, string second) =>
        RouteRules.RefuseAmbiguous([Http("A", first), Http("B", second)], "api", s_constraints);

    [Fact]
    public void Same_template_with_different_methods_is_not_ambiguous() =>
        RouteRules.RefuseAmbiguous([Http("A", "generations", "get"), Http("B", "generations", "post")], "api", s_constraints);

    [Fact]
    public void The_apps_routes_are_unambiguous_and_their_typed_values_constrained()
    {
        var functions = FunctionCatalog.Discover([typeof(SubmitGeneration).Assembly]);
        RouteRules.RefuseAmbiguous(functions.OfType<HttpFunctionDefinition>().ToList(), "api", s_constraints);
        Assert.DoesNotContain(functions.OfType<QueueFunctionDefinition>(), f => f.Trigger.QueueName.EndsWith("-poison", StringComparison.Ordinal));
    }

    [Fact]
    public void A_typed_route_value_without_its_constraint_stops_the_host()
    {
        var failure = Assert.Throws<NotSupportedException>(() => FunctionCatalog.Discover([typeof(UnconstrainedIndexFunction)]));
        Assert.Contains(":int", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trigger_on_a_poison_queue_stops_the_host()
    {
        var failure = Assert.Throws<NotSupportedException>(() => FunctionCatalog.Discover([typeof(PoisonTriggerFunction)]));
        Assert.Contains("poison queue", failure.Message, StringComparison.Ordinal);
    }

    private static HttpFunctionDefinition Http(string name, string route, string method = "get") =>
        new(name, typeof(RealHostRulesTests), typeof(RealHostRulesTests).GetMethod(nameof(Http), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!,
            new HttpTriggerAttribute(AuthorizationLevel.Function, method) { Route = route });

    // Not exported: the test host discovers this assembly's public types only.
    internal sealed class UnconstrainedIndexFunction
    {
        [Function("UnconstrainedIndex")]
        public IActionResult Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "things/{index}")] HttpRequest request, int index) => new OkResult();
    }

    internal sealed class PoisonTriggerFunction
    {
        [Function("PoisonTrigger")]
        public Task Run([QueueTrigger("%SampleWorkQueue%-poison")] QueueMessage message) => Task.CompletedTask;
    }
}
