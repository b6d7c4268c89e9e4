using System.Diagnostics;
using System.Text;

namespace Seedream.Benchmarks;

/// <summary>Starts .NET apps that sit next to this assembly (the emulator, this harness again) as separate processes.</summary>
internal static class ChildProcess
{
    /// <summary>The dotnet host running this process (set by the CLI under dotnet run / dotnet test), else the one on the PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    public static ProcessStartInfo Create(string assemblyFileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, assemblyFileName);
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assemblyFileName} is not next to the harness; build bench/Seedream.Benchmarks first.", assembly);
        }

        var startInfo = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    /// <summary>Runs this harness with <paramref name="arguments"/> in a fresh process and returns its standard output; throws if it fails.</summary>
    public static async Task<string> RunHarnessAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = Create(typeof(ChildProcess).Assembly.GetName().Name + ".dll", arguments);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("The harness child did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                new StringBuilder($"Harness child `{string.Join(' ', arguments)}` exited with {process.ExitCode}.")
                    .AppendLine().Append(output).AppendLine().Append(errors).ToString());
        }

        return output;
    }
}
