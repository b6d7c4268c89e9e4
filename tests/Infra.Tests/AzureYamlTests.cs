namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class AzureYamlTests(CompiledInfrastructure infrastructure)
{
    private static readonly string[] s_azureYaml = File.ReadAllLines(Path.Combine(BicepCli.RepositoryRoot, "azure.yaml"));

    [Fact]
    public void Azd_provisions_infra_main_with_bicep()
    {
        var infra = Section("infra");

        Assert.Equal("bicep", infra["provider"]);
        Assert.Equal("infra", infra["path"]);
        Assert.Equal("main", infra["module"]);
        Assert.True(File.Exists(Path.Combine(BicepCli.InfraDirectory, "main.bicep")));
        Assert.True(File.Exists(Path.Combine(BicepCli.InfraDirectory, "main.bicepparam")));
    }

    [Fact]
    public void Azd_deploys_the_functions_project_to_the_app_tagged_with_the_service_name()
    {
        var service = Section("services", "api");
        var appTags = infrastructure.Single("Microsoft.Web/sites").Evaluate("tags")!;

        Assert.Equal("function", service["host"]);
        Assert.Equal("dotnet", service["language"]);
        Assert.Equal("./src/Functions", service["project"]);
        Assert.True(File.Exists(Path.Combine(BicepCli.RepositoryRoot, "src", "Functions", "Functions.csproj")));
        Assert.Equal("api", appTags["azd-service-name"]!.GetValue<string>());
    }

    /// <summary>The scalar entries directly under a nested key path of azure.yaml (a flat, two-space indented file).</summary>
    private static Dictionary<string, string> Section(params string[] path)
    {
        var depth = 0;
        var entries = new Dictionary<string, string>();
        foreach (var line in s_azureYaml.Where(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith('#')))
        {
            var indent = (line.Length - line.TrimStart().Length) / 2;
            var (key, value) = line.Trim().Split(':', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : (line.Trim(), "");
            if (depth < path.Length)
            {
                if (indent == depth && key == path[depth])
                {
                    depth++;
                }
                else if (indent < depth)
                {
                    break;
                }
            }
            else if (indent < depth)
            {
                break;
            }
            else if (indent == depth)
            {
                entries[key] = value;
            }
        }

        Assert.True(depth == path.Length, $"azure.yaml has no section {string.Join('.', path)}.");
        return entries;
    }
}
