using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

public sealed class ParametersFileTests
{
    [Fact]
    public async Task Parameters_file_takes_environment_name_location_and_api_key_from_the_environment()
    {
        var result = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], BicepCli.InfraDirectory, new Dictionary<string, string?>
        {
            ["AZURE_ENV_NAME"] = "seedream-ci",
            ["AZURE_LOCATION"] = "swedencentral",
            ["SEEDREAM_API_KEY"] = "test-key-not-a-secret",
            ["SEEDREAM_BASE_URL"] = null,
            ["IMAGE_RETENTION_DAYS"] = "14",
            ["NOTIFICATION_WEBHOOK_URL"] = null,
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(result.StandardOutput)!["parametersJson"]!.GetValue<string>())!["parameters"]!;
        Assert.Equal("seedream-ci", parameters["environmentName"]!["value"]!.GetValue<string>());
        Assert.Equal("swedencentral", parameters["location"]!["value"]!.GetValue<string>());
        Assert.Equal("test-key-not-a-secret", parameters["seedreamApiKey"]!["value"]!.GetValue<string>());
        Assert.Equal(14, parameters["imageRetentionDays"]!["value"]!.GetValue<int>());
        Assert.Equal("", parameters["notificationWebhookUrl"]!["value"]!.GetValue<string>());
        Assert.Equal(
            ["https://ark.ap-southeast.bytepluses.com/api/v3"],
            parameters["seedreamBaseUrls"]!["value"]!.AsArray().Select(url => url!.GetValue<string>()));
    }

    [Fact]
    public async Task Parameters_file_refuses_to_build_without_an_api_key()
    {
        var result = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], BicepCli.InfraDirectory, new Dictionary<string, string?>
        {
            ["SEEDREAM_API_KEY"] = null,
        });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("SEEDREAM_API_KEY", result.StandardError, StringComparison.Ordinal);
    }
}
