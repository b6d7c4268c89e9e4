using System.Text.Json;
using Seedream.Functions.Drops;

namespace Seedream.Functions.Tests.Drops;

/// <summary>The drop functions as the Functions host sees them (generated functions.metadata): queue names from app settings.</summary>
public sealed class DropFunctionBindingTests
{
    [Theory]
    [InlineData(nameof(ProcessInboxEvent), "%InboxEventsQueue%")]
    public void Drop_functions_trigger_on_the_inbox_event_queue(string name, string queueName)
    {
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == name);
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray());
        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(queueName, trigger.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
    }
}
