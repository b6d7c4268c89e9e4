using EventGridReceiver;
using Seedream.Testing;
using SeedreamEmulator;

namespace Seedream.Functions.Tests;

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "Pipeline";
}

/// <summary>One Azurite, one Seedream emulator and one Event Grid receiver for every test of this assembly.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    private AzuriteInstance? _azurite;
    private SeedreamEmulatorServer? _emulator;
    private EventGridReceiverServer? _eventGrid;

    public AzuriteInstance Azurite => _azurite ?? throw new InvalidOperationException("Not started.");

    public SeedreamEmulatorServer Emulator => _emulator ?? throw new InvalidOperationException("Not started.");

    public EventGridReceiverServer EventGrid => _eventGrid ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        var azurite = AzuriteInstance.StartAsync();
        var emulator = SeedreamEmulatorServer.StartAsync(options => options.ExternalReferences = ExternalReferenceMode.Substitute);
        var eventGrid = EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null);
        _azurite = await azurite;
        _emulator = await emulator;
        _eventGrid = await eventGrid;
    }

    public async Task DisposeAsync()
    {
        if (_eventGrid is not null)
        {
            await _eventGrid.DisposeAsync();
        }

        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>The app's services on fresh containers and queues, so tests cannot see each other's jobs or messages.</summary>
    public PipelineHarness CreateHarness(IReadOnlyDictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null) =>
        new(this, settings, configureServices);
}
