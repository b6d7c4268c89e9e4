using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

/// <summary>
/// Compiles and lints infra/main.bicep once per test run with the real Bicep compiler, and exposes the ARM JSON.
/// </summary>
public sealed class CompiledInfrastructure : IAsyncLifetime
{
    private readonly string _outputDirectory = Path.Combine(Path.GetTempPath(), $"infra-tests-{Guid.NewGuid():N}");
    private List<ArmResource> _resources = [];

    internal BicepResult Build { get; private set; } = null!;

    internal BicepResult Lint { get; private set; } = null!;

    /// <summary>The compiled main template, as written by <c>bicep build</c>.</summary>
    public JsonObject Template { get; private set; } = null!;

    /// <summary>The full text of the compiled template.</summary>
    public string TemplateText { get; private set; } = "";

    internal ArmTemplateScope Main { get; private set; } = null!;

    /// <summary>Every resource created by the deployment, nested module deployments included.</summary>
    internal IReadOnlyList<ArmResource> Resources => _resources;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_outputDirectory);
        var templatePath = Path.Combine(_outputDirectory, "main.json");
        var build = BicepCli.RunAsync(["build", "main.bicep", "--outfile", templatePath], BicepCli.InfraDirectory);
        var lint = BicepCli.RunAsync(["lint", "main.bicep"], BicepCli.InfraDirectory);
        Build = await build;
        Lint = await lint;
        if (Build.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build failed: {Build}");
        }

        TemplateText = await File.ReadAllTextAsync(templatePath);
        Template = JsonNode.Parse(TemplateText)!.AsObject();
        Main = new ArmTemplateScope(Template, "main");
        _resources = Main.Resources().ToList();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_outputDirectory, recursive: true);
        return Task.CompletedTask;
    }

    internal IReadOnlyList<ArmResource> OfType(string type) =>
        _resources.Where(resource => string.Equals(resource.Type, type, StringComparison.OrdinalIgnoreCase)).ToList();

    internal ArmResource Single(string type)
    {
        var matches = OfType(type);
        Assert.True(matches.Count == 1, $"Expected one {type}, found {matches.Count}.");
        return matches[0];
    }

    /// <summary>The template of the module deployed under this name, e.g. "function-app".</summary>
    internal ArmTemplateScope Module(string deploymentName)
    {
        var modules = OfType("Microsoft.Resources/deployments").Where(resource => resource.Name == deploymentName).ToList();
        Assert.True(modules.Count == 1, $"Expected one module deployment named '{deploymentName}', found {modules.Count}.");
        return modules[0].NestedTemplate();
    }
}

[CollectionDefinition(Name)]
public sealed class CompiledInfrastructureCollection : ICollectionFixture<CompiledInfrastructure>
{
    public const string Name = "Compiled infrastructure";
}
