using System.Text.RegularExpressions;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>docs/architecture.md's recipes ("To add a Seedream parameter", "To add a terminal outcome") name files and tests that exist.</summary>
public sealed partial class ArchitectureRecipeTests
{
    [Theory]
    [InlineData("To add a Seedream parameter")]
    [InlineData("To add a terminal outcome")]
    public void Every_file_and_test_a_recipe_names_exists(string recipe)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "architecture.md"));
        var start = text.IndexOf(recipe, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/architecture.md has no recipe '{recipe}'.");
        var end = text.IndexOf("\n\n", start, StringComparison.Ordinal);
        var body = end < 0 ? text[start..] : text[start..end];

        var files = FilePath().Matches(body).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(files.Count >= 4, $"'{recipe}' names only {files.Count} files.");
        Assert.All(files, file => Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, file)), $"'{recipe}' names {file}, which does not exist."));

        var tests = TestName().Matches(body).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(tests);
        var testSources = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "tests"), "*Tests.cs", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        Assert.All(tests, test => Assert.True(testSources.Contains(test), $"'{recipe}' names {test}, which is no test class file."));
    }

    [GeneratedRegex(@"`((?:src|tools|docs|tests)/[^`\s]+\.(?:cs|json|txt|md))`")]
    private static partial Regex FilePath();

    [GeneratedRegex(@"`(\w+Tests)`")]
    private static partial Regex TestName();
}
