using System.Diagnostics;
using System.Text.Json;
using Seedream.Testing;

namespace SeedreamEmulator.Tests;

/// <summary>Acceptance: the official OpenAI JS client (npm <c>openai</c>, a devDependency) lists the emulator's models.</summary>
public sealed class OpenAiJsSdkTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    [Theory]
    [InlineData("v1")]
    [InlineData("api/v3")]
    public async Task Js_client_lists_the_models(string route)
    {
        var (exitCode, stdout, stderr) = await RunNodeAsync(new Uri(host.Server.BaseAddress, route).ToString(), host.Server.ApiKey);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {stderr}");
        var models = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        var lite = Assert.Single(models, model => model.GetProperty("id").GetString() == "doubao-seedream-5-0-260128");
        Assert.Equal("model", lite.GetProperty("object").GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 28, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), lite.GetProperty("created").GetInt64());
        Assert.Equal("volcengine", lite.GetProperty("owned_by").GetString());
        Assert.Equal(route == "v1", models.Any(model => model.GetProperty("id").GetString() == "seedream-4.5"));
    }

    [Fact]
    public async Task Js_client_sees_a_wrong_key_as_401()
    {
        var (exitCode, _, stderr) = await RunNodeAsync(host.Server.GatewayBaseUrl.ToString(), "wrong-key");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("401 ", stderr);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string baseUrl, string apiKey)
    {
        var script = Path.Combine(RepositoryPaths.Root, "tests", "SeedreamEmulator.Tests", "OpenAiJs", "list-models.cjs");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(baseUrl);
        start.ArgumentList.Add(apiKey);
        // The repository's node_modules (npm ci installs "openai" with Azurite); an existing NODE_PATH is kept.
        var nodeModules = Path.Combine(RepositoryPaths.Root, "node_modules");
        Assert.True(Directory.Exists(Path.Combine(nodeModules, "openai")) || Environment.GetEnvironmentVariable("NODE_PATH") is { Length: > 0 },
            $"The npm package 'openai' is not installed in {nodeModules}: run npm ci.");
        start.Environment["NODE_PATH"] = string.Join(Path.PathSeparator, new[] { nodeModules, Environment.GetEnvironmentVariable("NODE_PATH") }.Where(p => !string.IsNullOrEmpty(p)));

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
