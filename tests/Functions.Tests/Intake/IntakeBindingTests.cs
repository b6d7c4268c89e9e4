using System.Text.Json;
using Seedream.Functions.Drops;

namespace Seedream.Functions.Tests.Intake;

/// <summary>The generated functions.metadata (what the Functions host reads) declares the intake's routes and queues.</summary>
public sealed class IntakeBindingTests
{
    [Theory]
    [InlineData(nameof(SubmitGeneration), "httpTrigger", "generations")]
    [InlineData(nameof(GetModels), "httpTrigger", "models")]
    [InlineData(nameof(ProcessGenerationRequest), "queueTrigger", "%GenerationRequestsQueue%")]
    [InlineData(nameof(ProcessInboxEvent), "queueTrigger", "%InboxEventsQueue%")]
    public void Metadata_declares_the_route_or_queue(string name, string type, string target)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var function = Assert.Single(document.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == name);
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("direction").GetString() == "In");

        Assert.Equal(type, trigger.GetProperty("type").GetString());
        Assert.Equal(target, trigger.GetProperty(type == "httpTrigger" ? "route" : "queueName").GetString());
        if (type == "httpTrigger")
        {
            Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
        }
        else
        {
            Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
        }
    }
}
