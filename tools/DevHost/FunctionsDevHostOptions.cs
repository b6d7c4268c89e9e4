using System.Reflection;

namespace Seedream.DevHost;

/// <summary>What the development host runs and where it reads its settings from.</summary>
public sealed class FunctionsDevHostOptions
{
    /// <summary>Assemblies searched for function classes (public types with <c>[Function]</c> methods).</summary>
    public IList<Assembly> FunctionAssemblies { get; } = new List<Assembly>();

    /// <summary>Registers the services the function classes need (the app's <c>AddSeedreamPipeline</c>).</summary>
    public Action<IServiceCollection, IConfiguration>? ConfigureServices { get; set; }

    /// <summary>
    /// The directory holding host.json and local.settings.json, as the Core Tools script root.
    /// Defaults to the current directory when it has a host.json, else the application directory.
    /// </summary>
    public string? ScriptRoot { get; set; }

    /// <summary>Settings that override local.settings.json, environment variables and the command line (tests).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
}
