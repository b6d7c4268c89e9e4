using Azure.Storage.Queues.Models;
using Seedream.Functions;
using Seedream.Functions.Drops;

namespace Seedream.DevHost.Tests;

/// <summary>The development host discovers the app's own functions with the bindings the Functions host reads.</summary>
public sealed class AppFunctionBindingTests
{
    [Theory]
    [InlineData(nameof(ProcessGenerationRequest), "%GenerationRequestsQueue%")]
    [InlineData(nameof(ProcessInboxEvent), "%InboxEventsQueue%")]
    public void Queue_functions_are_bound_to_the_raw_message(string name, string queue)
    {
        var function = Assert.IsType<QueueFunctionDefinition>(Discover()[name]);

        Assert.Equal(queue, function.Trigger.QueueName);
        // Bytes, not string: a message that is not UTF-8 still reaches the app's code, which leaves a trace of it.
        Assert.Equal(typeof(QueueMessage), function.MessageParameter.ParameterType);
    }

    [Theory]
    [InlineData(nameof(SubmitGeneration), "generations", "post")]
    [InlineData(nameof(GetModels), "models", "get")]
    public void Http_functions_keep_their_routes(string name, string route, string method)
    {
        var function = Assert.IsType<HttpFunctionDefinition>(Discover()[name]);

        Assert.Equal(route, function.Trigger.Route);
        Assert.Equal([method], function.Trigger.Methods ?? []);
    }

    private static Dictionary<string, FunctionDefinition> Discover() =>
        FunctionCatalog.Discover([typeof(SubmitGeneration).Assembly]).ToDictionary(f => f.Name);
}
