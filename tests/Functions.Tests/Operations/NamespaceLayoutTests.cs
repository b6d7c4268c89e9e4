using System.Text.RegularExpressions;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// The function app's namespaces follow its folders (function classes at the root in <c>Seedream.Functions</c>, the
/// rest in <c>Seedream.Functions.{Folder}</c>), so a type's namespace says where its file is.
/// </summary>
public sealed partial class NamespaceLayoutTests
{
    [Fact]
    public void Every_source_file_declares_the_namespace_of_its_folder()
    {
        var project = Path.Combine(RepositoryPaths.Root, "src", "Functions");
        var files = Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(file => !IsBuildOutput(Path.GetRelativePath(project, file)))
            .ToList();
        Assert.True(files.Count > 100, $"Only {files.Count} source files found under {project}.");

        var wrong = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(project, file);
            var folder = Path.GetDirectoryName(relative);
            var expected = string.IsNullOrEmpty(folder) ? "Seedream.Functions" : "Seedream.Functions." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = FileScopedNamespace().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).ToList();
            // Program.cs is top-level statements: no namespace of its own.
            if (declared.Count == 0 && relative == "Program.cs")
            {
                continue;
            }

            if (declared is not [var only] || only != expected)
            {
                wrong.Add($"{relative}: declares {(declared.Count == 0 ? "no namespace" : string.Join(", ", declared))}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, "Namespaces that do not follow their folder:\n" + string.Join('\n', wrong));
    }

    private static bool IsBuildOutput(string relative) =>
        relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();
}
