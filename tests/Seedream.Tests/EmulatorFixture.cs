using SeedreamEmulator;

namespace Seedream.Tests;

/// <summary>One in-process emulator per test class (tests in a class run one at a time, so its request log is theirs).</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public SeedreamEmulatorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestSupport.StartEmulatorAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public int GenerationPosts() => Server.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/images/generations", StringComparison.Ordinal));
}
