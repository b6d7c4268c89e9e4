using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Seedream.Functions.Tests;

/// <summary>A realistic 4K image (noise, ~20 MB JPEG) goes from Seedream to the blob in blocks, never as one buffer.</summary>
[Collection(PipelineCollection.Name)]
public sealed class LargeImageTests(PipelineFixture fixture)
{
    [Theory]
    [InlineData("url")]
    [InlineData("b64_json")]
    public async Task Large_image_is_streamed_into_the_blob_block_by_block(string responseFormat)
    {
        // Small blocks so that the ~20 MB test image needs several of them.
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Pipeline:UploadBlockBytes"] = (4 * 1024 * 1024).ToString() });
        fixture.Emulator.Options.NoiseContent = true;
        try
        {
            var job = await harness.SubmitAndRunAsync(TestRequests.Create("a starfield", responseFormat, configure: request => request["size"] = "4K"));

            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            var image = Assert.Single(job.GetProperty("images").EnumerateArray());
            var bytes = image.GetProperty("bytes").GetInt64();
            Assert.True(bytes > 8 * 1024 * 1024, $"The test image is only {bytes} bytes.");
            Assert.Equal("4096x4096", image.GetProperty("size").GetString());

            var blob = harness.Storage.Images.GetBlockBlobClient(image.GetProperty("blobName").GetString()!);
            var blocks = (await blob.GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
            Assert.True(blocks.Count >= 2, $"The image was uploaded in {blocks.Count} block(s).");
            Assert.All(blocks, block => Assert.True(block.SizeLong <= 4 * 1024 * 1024));
            Assert.Equal(bytes, blocks.Sum(block => block.SizeLong));
        }
        finally
        {
            fixture.Emulator.Options.NoiseContent = false;
        }
    }
}
