using System.Reflection;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Storage;
using Seedream.Testing;

namespace Seedream.Functions.Tests;

/// <summary>What the Functions host reads: the generated functions.metadata (bindings) and host.json.</summary>
public sealed class HostConfigurationTests
{
    public static TheoryData<string, string, string, string> HttpFunctions => new()
    {
        { nameof(SubmitGeneration), "post", "generations", "Function" },
        { nameof(GetGeneration), "get", "generations/{id}", "Function" },
        { nameof(GetGenerationImage), "get", "generations/{id}/images/{index:int}", "Function" },
        { nameof(GetGenerationThumbnail), "get", "generations/{id}/images/{index:int}/thumbnail", "Function" },
        { nameof(GetGenerationReferenceThumbnail), "get", "generations/{id}/references/{index:int}/thumbnail", "Function" },
        { nameof(ViewRecentGenerations), "get", "view/generations", "Function" },
    };

    public static TheoryData<string, string> QueueFunctions => new()
    {
        { nameof(ProcessGenerationRequest), "%GenerationRequestsQueue%" },
    };

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Http_function_binding_has_its_route_method_and_function_key(string name, string method, string route, string authLevel)
    {
        var trigger = TriggerOf(name);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Theory]
    [MemberData(nameof(QueueFunctions))]
    public void Queue_function_binding_has_its_queue_and_connection(string name, string queueName)
    {
        var trigger = TriggerOf(name);
        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(queueName, trigger.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
    }

    [Fact]
    public void Every_function_class_is_in_the_metadata_and_nothing_else()
    {
        var declared = typeof(SubmitGeneration).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods())
            .Select(method => method.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .Order();
        Assert.Equal(declared, Metadata().Select(f => f.GetProperty("name").GetString()!).Order());
    }

    [Fact]
    public void Host_json_sets_the_queue_encoding_the_app_uses_and_bounded_retries()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")));
        var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
        Assert.Equal(QueueMessageEncoding.Base64, PipelineQueueEncoding.MessageEncoding);
        Assert.Equal(PipelineHarness.MaxDequeueCount, queues.GetProperty("maxDequeueCount").GetInt32());
        Assert.True(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!) > TimeSpan.Zero);
        // A generation (10 min request timeout) plus downloads must fit in one invocation.
        Assert.True(TimeSpan.Parse(hostJson.RootElement.GetProperty("functionTimeout").GetString()!) >= TimeSpan.FromMinutes(15));
    }

    private static JsonElement TriggerOf(string functionName)
    {
        var function = Assert.Single(Metadata(), f => f.GetProperty("name").GetString() == functionName);
        return Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("direction").GetString() == "In");
    }

    private static List<JsonElement> Metadata()
    {
        // The Functions SDK writes functions.metadata next to the app; it is copied into this test's output with it.
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Functions SDK did not generate it.");
        return [.. JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()];
    }
}
