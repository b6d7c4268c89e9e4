using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class SettingsTests(AzuriteFixture azurite)
{
    [Fact]
    public void Expression_ResolvesSettingsInsideText_IncludingNestedNames()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["GenerationRequestsQueue"] = "generation-requests", ["Storage:Prefix"] = "dev" })
            .Build();

        Assert.Equal("generation-requests-poison", AppSettingExpression.Resolve("%GenerationRequestsQueue%-poison", configuration));
        Assert.Equal("dev-generation-requests", AppSettingExpression.Resolve("%Storage__Prefix%-%GenerationRequestsQueue%", configuration));
        Assert.Equal("literal-queue", AppSettingExpression.Resolve("literal-queue", configuration));
    }

    [Fact]
    public void Expression_WithMissingSetting_NamesIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AppSettingExpression.Resolve("%InboxEventsQueue%", new ConfigurationBuilder().Build()));

        Assert.Contains("'InboxEventsQueue'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalSettingsValues_AreConfiguration_BelowEnvironmentAndExplicitSettings()
    {
        var environmentName = "DEVHOST_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(environmentName, "from-environment");
        try
        {
            await using var host = await TestDevHost.StartAsync(azurite, new Dictionary<string, string>
            {
                ["Seedream__BaseUrls__0"] = "http://127.0.0.1:5080/v1",
                [environmentName] = "from-file",
                ["SampleWorkQueue"] = "overridden-by-explicit-setting",
            });

            Assert.Equal("http://127.0.0.1:5080/v1", host.App.Configuration["Seedream:BaseUrls:0"]);
            Assert.Equal("from-environment", host.App.Configuration[environmentName]);
            Assert.StartsWith("work-", host.App.Configuration["SampleWorkQueue"], StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(environmentName, null);
        }
    }

    [Fact]
    public void HostJson_QueueSettings_AreRead_AndDefaultsMatchTheFunctionsHost()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("devhost-hostjson-").FullName, "host.json");
        File.WriteAllText(path, TestDevHost.HostJson);

        var configured = HostJsonSettings.Load(path);
        var missing = HostJsonSettings.Load(path + ".absent");

        Assert.Equal(new QueueListenerSettings(4, 2, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), 3, Base64Encoding: true), configured.Queues);
        Assert.Equal("testapi", configured.RoutePrefix);
        Assert.Equal(LogLevel.Warning, configured.LogLevels["azure.core"]);
        Assert.Equal("api", missing.RoutePrefix);
        Assert.Equal(5, missing.Queues.MaxDequeueCount);
        Assert.Equal(16, missing.Queues.BatchSize);
        Assert.Equal(TimeSpan.FromMinutes(1), missing.Queues.MaxPollingInterval);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}
