using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

/// <summary>
/// The instance count and per-instance concurrency follow from Seedream's images-per-minute limit (docs/deploy.md,
/// "Scale-out from the Seedream limit"): the compiled template's own expressions, evaluated for other parameter values.
/// </summary>
[Collection(CompiledInfrastructureCollection.Name)]
public sealed class ScaleOutTemplateTests(CompiledInfrastructure infrastructure)
{
    [Theory]
    // 16 jobs × 60 s / 20 s = 48 images per instance-minute; 500 / 48 → 11 runners + 4 front-end instances.
    [InlineData(500, 20, 16, 4, 48, 15)]
    [InlineData(1000, 20, 16, 4, 48, 25)]
    [InlineData(500, 10, 32, 4, 192, 7)]
    [InlineData(48, 20, 16, 0, 48, 1)]
    // Capped at Flex Consumption's 1,000.
    [InlineData(100_000, 20, 16, 4, 48, 1000)]
    public void Maximum_instances_follow_from_the_limit_and_the_images_per_instance_minute(
        int imagesPerMinute, int secondsPerImage, int jobsPerInstance, int frontEnd, int perInstanceMinute, int maximumInstances)
    {
        var scope = MainWith(new()
        {
            ["seedreamImagesPerMinute"] = imagesPerMinute,
            ["seedreamSecondsPerImage"] = secondsPerImage,
            ["jobsPerInstance"] = jobsPerInstance,
            ["frontEndInstances"] = frontEnd,
        });

        Assert.Equal(perInstanceMinute, scope.VariableValue("imagesPerInstanceMinute")!.GetValue<long>());
        Assert.Equal(maximumInstances, scope.VariableValue("maximumInstanceCount")!.GetValue<long>());
    }

    [Fact]
    public void Defaults_give_15_instances_16_jobs_each_and_the_pacer_the_account_limit()
    {
        Assert.Equal(500, infrastructure.Main.ParameterValue("seedreamImagesPerMinute")!.GetValue<long>());
        var app = infrastructure.Single("Microsoft.Web/sites");
        Assert.Equal(15, app.Evaluate("properties", "functionAppConfig", "scaleAndConcurrency", "maximumInstanceCount")!.GetValue<long>());

        var config = infrastructure.Single("Microsoft.Web/sites/config");
        var settings = config.Scope.VariableValue("appSettings")!.AsObject();
        Assert.Equal("8", ArmExpression.AsString(settings["AzureFunctionsJobHost__extensions__queues__batchSize"]));
        Assert.Equal("8", ArmExpression.AsString(settings["AzureFunctionsJobHost__extensions__queues__newBatchThreshold"]));
        Assert.Equal("500", ArmExpression.AsString(settings["Pacing__ImagesPerMinute"]));
    }

    [Fact]
    public async Task Parameters_file_takes_the_limit_from_the_environment()
    {
        var result = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], BicepCli.InfraDirectory, new Dictionary<string, string?>
        {
            ["SEEDREAM_API_KEY"] = "test-key-not-a-secret",
            ["SEEDREAM_IMAGES_PER_MINUTE"] = "2000",
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(result.StandardOutput)!["parametersJson"]!.GetValue<string>())!["parameters"]!;
        Assert.Equal(2000, parameters["seedreamImagesPerMinute"]!["value"]!.GetValue<int>());
        Assert.Null(parameters["maximumInstanceCount"]);
    }

    /// <summary>The main template with other parameter defaults, so its own expressions compute the numbers.</summary>
    private ArmTemplateScope MainWith(Dictionary<string, int> values)
    {
        var template = infrastructure.Template.DeepClone().AsObject();
        foreach (var (name, value) in values)
        {
            template["parameters"]![name]!["defaultValue"] = value;
        }

        return new ArmTemplateScope(template, "main");
    }
}
