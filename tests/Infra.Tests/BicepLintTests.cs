using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class BicepLintTests(CompiledInfrastructure infrastructure)
{
    [Fact]
    public void Main_template_builds_without_any_diagnostic()
    {
        Assert.Equal(0, infrastructure.Build.ExitCode);
        Assert.Empty(infrastructure.Build.StandardError.Trim());
    }

    [Fact]
    public void Main_template_lints_without_any_diagnostic()
    {
        Assert.True(infrastructure.Lint.ExitCode == 0, infrastructure.Lint.ToString());
        Assert.Empty(infrastructure.Lint.Diagnostics);
        Assert.Empty(infrastructure.Lint.StandardError.Trim());
    }

    [Fact]
    public void Linter_configuration_makes_every_configured_rule_an_error()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "bicepconfig.json")))!;
        var rules = config["analyzers"]!["core"]!["rules"]!.AsObject();

        Assert.True(config["analyzers"]!["core"]!["enabled"]!.GetValue<bool>());
        Assert.True(rules.Count >= 30, $"Only {rules.Count} rules are configured.");
        Assert.All(rules, rule => Assert.Equal("error", rule.Value!["level"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Linter_configuration_fails_the_lint_on_what_would_be_warnings()
    {
        var directory = Directory.CreateTempSubdirectory("infra-lint-").FullName;
        try
        {
            File.Copy(Path.Combine(BicepCli.InfraDirectory, "bicepconfig.json"), Path.Combine(directory, "bicepconfig.json"));
            await File.WriteAllTextAsync(Path.Combine(directory, "sloppy.bicep"), """
                param unusedName string
                var armEndpoint = 'https://management.azure.com/'
                output armEndpointUrl string = armEndpoint
                """);

            var lint = await BicepCli.RunAsync(["lint", "sloppy.bicep"], directory);

            Assert.NotEqual(0, lint.ExitCode);
            Assert.Contains(lint.Diagnostics, line => line.Contains("Error no-unused-params", StringComparison.Ordinal));
            Assert.Contains(lint.Diagnostics, line => line.Contains("Error no-hardcoded-env-urls", StringComparison.Ordinal));
            Assert.DoesNotContain(lint.Diagnostics, line => line.Contains(" Warning ", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
