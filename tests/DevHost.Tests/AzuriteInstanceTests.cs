using Seedream.Testing;

namespace Seedream.DevHost.Tests;

public sealed class AzuriteInstanceTests
{
    [Fact]
    public async Task StartAsync_ServesBlobsAndBase64Queues_AndDisposeStopsTheProcess()
    {
        var azurite = await AzuriteInstance.StartAsync();
        await using (azurite)
        {
            var container = azurite.CreateBlobServiceClient().GetBlobContainerClient("fixture-check");
            await container.CreateAsync();
            await container.UploadBlobAsync("a.txt", BinaryData.FromString("blob"));
            Assert.Equal("blob", (await container.GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());

            var queue = azurite.CreateQueueServiceClient().GetQueueClient("fixture-check");
            await queue.CreateAsync();
            await queue.SendMessageAsync("猫");
            var raw = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "fixture-check");
            Assert.Equal(Convert.ToBase64String("猫"u8), (await raw.PeekMessageAsync()).Value.Body.ToString());
        }

        foreach (var port in new[] { azurite.BlobPort, azurite.QueuePort, azurite.TablePort })
        {
            Assert.False(await FreePorts.IsAnsweringAsync(port, CancellationToken.None), $"port {port} still answers after dispose");
        }
    }
}
