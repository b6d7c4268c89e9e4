namespace Seedream.Testing;

/// <summary>Locates files of this repository from a test's output directory.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The directory holding Functions.sln.</summary>
    public static string Root => s_root.Value;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Functions.sln was not found above '{AppContext.BaseDirectory}'.");
    }
}
