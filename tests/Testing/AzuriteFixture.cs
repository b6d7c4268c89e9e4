using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Xunit;

namespace Seedream.Testing;

/// <summary>
/// One Azurite per test collection. xUnit only discovers collection definitions in the test assembly itself, so each
/// test project declares <c>[CollectionDefinition(AzuriteFixture.CollectionName)] public sealed class AzuriteCollection : ICollectionFixture&lt;AzuriteFixture&gt; { }</c>
/// and marks its classes <c>[Collection(AzuriteFixture.CollectionName)]</c>.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string CollectionName = "Azurite";

    private AzuriteInstance? _instance;

    public AzuriteInstance Instance => _instance ?? throw new InvalidOperationException("Azurite has not been started yet.");

    public string ConnectionString => Instance.ConnectionString;

    public BlobServiceClient CreateBlobServiceClient() => Instance.CreateBlobServiceClient();

    public QueueServiceClient CreateQueueServiceClient() => Instance.CreateQueueServiceClient();

    public async Task InitializeAsync() => _instance = await AzuriteInstance.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync().ConfigureAwait(false);
        }
    }
}
