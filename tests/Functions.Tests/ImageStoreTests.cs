using Microsoft.Extensions.DependencyInjection;

namespace Seedream.Functions.Tests;

/// <summary>The store step reads format and pixel size from the bytes when Seedream did not report them (yet).</summary>
[Collection(PipelineCollection.Name)]
public sealed class ImageStoreTests(PipelineFixture fixture)
{
    [Theory]
    [InlineData("png", "image/png")]
    [InlineData("jpeg", "image/jpeg")]
    public async Task Format_and_size_come_from_the_image_header_when_not_reported(string format, string contentType)
    {
        await using var harness = fixture.CreateHarness();
        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("header", 320, 208, format));
        var store = harness.Services.GetRequiredService<ImageStore>();

        var stored = await store.UploadAsync("header-job", 0, new MemoryStream(bytes), "application/octet-stream", "doubao-seedream-4-0-250828",
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(contentType, stored.ContentType);
        Assert.Equal((320, 208), (stored.Width, stored.Height));
        Assert.Equal(bytes.LongLength, stored.Bytes);
        var blob = harness.Storage.Images.GetBlobClient(stored.BlobName);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(contentType, properties.ContentType);
        Assert.Equal("320x208", properties.Metadata["seedream_size"]);
        Assert.Equal(bytes, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }
}
