namespace Seedream.DevHost.Tests;

public sealed class FunctionCatalogTests
{
    [Fact]
    public void Discover_FindsEveryFunctionWithItsTrigger()
    {
        var functions = FunctionCatalog.Discover([typeof(FunctionCatalogTests).Assembly]).ToDictionary(f => f.Name);

        Assert.Equal(["SampleEcho", "SampleItem", "SampleText", "SampleThrows", "SampleWork"], functions.Keys.Order());
        var item = Assert.IsType<HttpFunctionDefinition>(functions["SampleItem"]);
        Assert.Equal("items/{category}/{id:int}", item.Trigger.Route);
        Assert.Equal(["get"], item.Trigger.Methods ?? []);
        var text = Assert.IsType<QueueFunctionDefinition>(functions["SampleText"]);
        Assert.Equal("%SampleTextQueue%", text.Trigger.QueueName);
        Assert.Equal(typeof(string), text.MessageParameter.ParameterType);
    }
}
