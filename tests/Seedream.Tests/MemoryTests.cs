namespace Seedream.Tests;

[CollectionDefinition(nameof(MemoryCollection), DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>
/// Behaviour, not timing: a large b64_json response is decoded while it is read, so the client allocates a small
/// fraction of the body. Runs alone so other tests' allocations do not count.
/// </summary>
[Collection(nameof(MemoryCollection))]
public sealed class MemoryTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    private static ImageGenerationRequest FifteenNoiseImages() => new()
    {
        Model = SeedreamModels.Seedream40,
        Prompt = "15 images of television static",
        Size = "1440x1440",
        SequentialImageGeneration = "auto",
        SequentialImageGenerationOptions = new() { MaxImages = 15 },
        ResponseFormat = "b64_json",
        Watermark = false,
    };

    [Fact]
    public async Task FifteenLargeInlineImagesAreDecodedWithFlatMemory()
    {
        emulator.Server.Options.NoiseContent = true;
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));
        var buffer = new byte[81920];

        // The first request makes the in-process emulator render and cache the images; only the second is measured.
        await ReadEverythingAsync(client, buffer);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (images, decodedBytes) = await ReadEverythingAsync(client, buffer);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var bodyBytes = decodedBytes * 4 / 3;
        Assert.Equal(15, images);
        Assert.True(bodyBytes > 40_000_000, $"body only {bodyBytes} bytes");
        Assert.True(allocated < bodyBytes / 4, $"allocated {allocated:N0} bytes while reading a {bodyBytes:N0}-byte body");
    }

    private static async Task<(int Images, long DecodedBytes)> ReadEverythingAsync(SeedreamClient client, byte[] buffer)
    {
        var images = 0;
        long decoded = 0;
        await using var response = await client.GenerateImagesAsync(FifteenNoiseImages());
        await foreach (var image in response.ReadImagesAsync())
        {
            images++;
            await using var content = await image.OpenReadAsync();
            int read;
            while ((read = await content.ReadAsync(buffer)) > 0)
            {
                decoded += read;
            }

            Assert.Equal("image/jpeg", image.ContentType);
        }

        return (images, decoded);
    }
}
