using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Seedream.Testing;
using SeedreamEmulator;

namespace Seedream.Package.Tests;

/// <summary>
/// The packed packages (./test.sh runs <c>dotnet pack</c> into artifacts/packages) hold what NuGet shows, and a fresh
/// console project restores them from a local folder, builds and runs against the emulator.
/// </summary>
public sealed class PackageInstallTests
{
    private const string CoreId = "Seedream";
    private const string AdapterId = "Seedream.Extensions.AI";

    private static string PackageFolder => Path.Combine(RepositoryPaths.Root, "artifacts", "packages");

    [Fact]
    public async Task Packages_carry_metadata_readme_docs_and_symbols()
    {
        await EnsurePackedAsync();

        foreach (var id in new[] { CoreId, AdapterId })
        {
            var nupkg = FindPackage(id, symbols: false);
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"{id}: no symbol package beside {nupkg}");
            using var archive = ZipFile.OpenRead(nupkg);
            var entries = archive.Entries.Select(entry => entry.FullName).ToHashSet();
            Assert.Contains("README.md", entries);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);

            using var nuspecStream = archive.Entries.Single(entry => entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(element => element.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)?.Value;
            Assert.Equal(id, Field("id"));
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("README.md", Field("readme"));
            Assert.Contains("seedream", Field("tags"));
            Assert.False(string.IsNullOrWhiteSpace(Field("description")));
            var dependencies = metadata.Descendants().Where(element => element.Name.LocalName == "dependency")
                .Select(element => element.Attribute("id")!.Value).ToList();
            if (id == CoreId)
            {
                // The adapter lives in its own package so that the core forces no Microsoft.Extensions.AI dependency.
                Assert.DoesNotContain(dependencies, dependency => dependency.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains(CoreId, dependencies);
                Assert.Contains("Microsoft.Extensions.AI", dependencies);
            }
        }
    }

    [Fact]
    public async Task A_fresh_console_project_installs_the_packages_from_a_local_folder_and_runs_against_the_emulator()
    {
        await EnsurePackedAsync();
        await using var emulator = await SeedreamEmulatorServer.StartAsync();
        var work = Directory.CreateTempSubdirectory("seedream-package-test-");
        try
        {
            var project = Path.Combine(work.FullName, "FreshConsole");
            Directory.CreateDirectory(project);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "FreshProject", "Program.cs.txt"), Path.Combine(project, "Program.cs"));
            await File.WriteAllTextAsync(Path.Combine(project, "FreshConsole.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <NuGetAudit>false</NuGetAudit>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="{CoreId}" Version="{VersionOf(CoreId)}" />
                    <PackageReference Include="{AdapterId}" Version="{VersionOf(AdapterId)}" />
                  </ItemGroup>
                </Project>
                """);
            // Its own NuGet.config: the local folder plus the normal source. Packages are extracted into a folder of
            // this run (so no copy of an earlier build of the same version is reused); everything else already
            // downloaded is read from the machine's global packages folder without copying, through a view of it that
            // leaves out this repository's package ids (a Seedream 1.0.0 there from another build would win otherwise).
            await File.WriteAllTextAsync(Path.Combine(project, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{PackageFolder}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="machine" value="{MachinePackagesWithoutOurs(GlobalPackagesFolder(), Path.Combine(work.FullName, "machine-packages"))}" />
                  </fallbackPackageFolders>
                </configuration>
                """);

            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work.FullName, "packages") };
            var build = await RunAsync("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "quiet", "-clp:ErrorsOnly"], environment, TimeSpan.FromSeconds(150));
            Assert.True(build.ExitCode == 0, $"dotnet build failed:\n{build.Output}");

            var dll = Path.Combine(project, "bin", "Release", "net10.0", "FreshConsole.dll");
            var run = await RunAsync("dotnet", [dll, emulator.GatewayBaseUrl.ToString(), emulator.ApiKey], environment, TimeSpan.FromSeconds(60));

            Assert.True(run.ExitCode == 0, $"the console failed:\n{run.Output}");
            Assert.Contains("models: ", run.Output);
            Assert.Contains(" including True", run.Output);
            Assert.Contains("text-to-image: 2048x2048 image/png", run.Output);
            Assert.Contains("image-generator: image/png", run.Output);
            Assert.True(Directory.Exists(Path.Combine(work.FullName, "packages", CoreId.ToLowerInvariant(), VersionOf(CoreId))),
                "the package was not restored from the local folder into this run's packages folder");
        }
        finally
        {
            if (Directory.Exists(Path.Combine(work.FullName, "machine-packages")))
            {
                RemoveView(Path.Combine(work.FullName, "machine-packages"));
            }

            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_fallback_view_of_the_machine_packages_leaves_out_the_packages_under_test()
    {
        var work = Directory.CreateTempSubdirectory("seedream-package-fallback-");
        var viewPath = Path.Combine(work.FullName, "view");
        try
        {
            var machine = Path.Combine(work.FullName, "machine");
            foreach (var id in new[] { CoreId, AdapterId, "Microsoft.Extensions.AI.Abstractions" })
            {
                Directory.CreateDirectory(Path.Combine(machine, id.ToLowerInvariant(), "1.0.0"));
            }

            var view = MachinePackagesWithoutOurs(machine, viewPath);

            Assert.Equal(["microsoft.extensions.ai.abstractions"], Directory.EnumerateFileSystemEntries(view).Select(Path.GetFileName));
            Assert.True(Directory.Exists(Path.Combine(view, "microsoft.extensions.ai.abstractions", "1.0.0")));

            // Removing the view removes links only, never what they point to (the machine's packages).
            RemoveView(view);
            Assert.False(Directory.Exists(view));
            Assert.True(Directory.Exists(Path.Combine(machine, "microsoft.extensions.ai.abstractions", "1.0.0")));
        }
        finally
        {
            if (Directory.Exists(viewPath))
            {
                RemoveView(viewPath);
            }

            work.Delete(recursive: true);
        }
    }

    /// <summary>A folder of links to every package id in <paramref name="machine"/> except this repository's own.</summary>
    private static string MachinePackagesWithoutOurs(string machine, string view)
    {
        Directory.CreateDirectory(view);
        var ours = new HashSet<string>([CoreId.ToLowerInvariant(), AdapterId.ToLowerInvariant()], StringComparer.OrdinalIgnoreCase);
        if (Directory.Exists(machine))
        {
            foreach (var package in Directory.EnumerateDirectories(machine).Where(package => !ours.Contains(Path.GetFileName(package))))
            {
                Directory.CreateSymbolicLink(Path.Combine(view, Path.GetFileName(package)), package);
            }
        }

        return view;
    }

    private static void RemoveView(string view)
    {
        foreach (var link in Directory.EnumerateFileSystemEntries(view))
        {
            File.Delete(link);
        }

        Directory.Delete(view);
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string FindPackage(string id, bool symbols)
    {
        var extension = symbols ? ".snupkg" : ".nupkg";
        return Directory.EnumerateFiles(PackageFolder, id + ".*" + extension)
            .Single(path => char.IsDigit(Path.GetFileName(path)[(id.Length + 1)..][0]));
    }

    private static string VersionOf(string id)
    {
        var file = Path.GetFileNameWithoutExtension(FindPackage(id, symbols: false));
        return file[(id.Length + 1)..];
    }

    private static readonly SemaphoreSlim PackLock = new(1, 1);

    /// <summary>./test.sh packs before the tests; a run of this project alone packs here (the projects are built).</summary>
    private static async Task EnsurePackedAsync()
    {
        await PackLock.WaitAsync();
        try
        {
            if (Directory.Exists(PackageFolder)
                && Directory.EnumerateFiles(PackageFolder, CoreId + ".1*.nupkg").Any()
                && Directory.EnumerateFiles(PackageFolder, AdapterId + ".*.nupkg").Any())
            {
                return;
            }

            foreach (var project in new[] { "src/Seedream", "src/Seedream.Extensions.AI" })
            {
                var pack = await RunAsync("dotnet", ["pack", Path.Combine(RepositoryPaths.Root, project), "-c", "Release", "--nologo", "-v", "quiet", "-o", PackageFolder],
                    new Dictionary<string, string>(), TimeSpan.FromSeconds(150));
                Assert.True(pack.ExitCode == 0, $"dotnet pack {project} failed:\n{pack.Output}");
            }
        }
        finally
        {
            PackLock.Release();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        using var cancellation = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancellation.Token);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
