using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using NetVips;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.Tests;

/// <summary>
/// The view page at scale: stored thumbnails instead of full images, reference images as thumbnails, long prompts
/// clipped. Real Azurite, the emulator's real images, libvips decoding what the endpoints return.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ThumbnailTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Thumbnail_is_made_on_first_request_stored_beside_the_image_and_read_from_storage_afterwards()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a lighthouse at night", configure: r => r["size"] = "2048x1152"));
        var id = job.GetProperty("id").GetString()!;
        var blobName = job.GetProperty("images")[0].GetProperty("blobName").GetString()!;

        var first = await ThumbnailAsync(harness, id, 0);

        Assert.Equal(200, first.Status);
        Assert.Equal("image/jpeg", first.ContentType);
        using (var thumbnail = Image.NewFromBuffer(first.Body))
        {
            // Never larger than the page needs, the aspect ratio kept.
            Assert.Equal((480, 270), (thumbnail.Width, thumbnail.Height));
        }

        Assert.Equal($"{id}/0.thumb.jpg", ThumbnailStore.BlobNameFor(blobName));
        var stored = (await harness.Storage.Images.GetBlobClient($"{id}/0.thumb.jpg").DownloadContentAsync()).Value;
        Assert.Equal("image/jpeg", stored.Details.ContentType);
        Assert.Equal(first.Body, stored.Content.ToArray());

        // Made once: a later request serves the stored blob as it is, without decoding the image again.
        byte[] marker = [0xFF, 0xD8, 0xFF, 0xD9];
        await harness.Storage.Images.GetBlobClient($"{id}/0.thumb.jpg").UploadAsync(new BinaryData(marker), overwrite: true);
        Assert.Equal(marker, (await ThumbnailAsync(harness, id, 0)).Body);
    }

    [Fact]
    public async Task Thumbnail_of_a_missing_image_or_job_is_a_404_problem()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a fern"));
        var id = job.GetProperty("id").GetString()!;

        var missingImage = await ThumbnailAsync(harness, id, 7);
        var missingJob = await ThumbnailAsync(harness, "0123456789abcdef0123456789abcdef", 0);

        Assert.Equal((404, "application/problem+json"), (missingImage.Status, missingImage.ContentType));
        Assert.Equal((404, "application/problem+json"), (missingJob.Status, missingJob.ContentType));
    }

    [Fact]
    public async Task A_huge_prompt_is_clipped_with_a_way_to_expand_and_the_page_stays_small()
    {
        await using var harness = fixture.CreateHarness();
        var prompt = "A quiet harbour at dawn, fishing boats, gulls. " + new string('x', 7_500_000);
        var job = await harness.SubmitAndRunAsync(TestRequests.Create(prompt));
        var id = job.GetProperty("id").GetString()!;

        var page = await ViewGenerationTests.ViewAsync(harness, id);

        Assert.Equal(200, page.Status);
        Assert.True(page.Body.Length < 100 * 1024, $"the page is {page.Body.Length:N0} bytes for a {prompt.Length:N0}-character prompt");
        var text = ViewGenerationTests.TextOf(page.Text);
        Assert.Contains("A quiet harbour at dawn, fishing boats, gulls.", text, StringComparison.Ordinal);
        Assert.Contains($"Show the whole prompt ({prompt.Length:N0} characters)", text, StringComparison.Ordinal);
        Assert.Contains("<details class=\"more\"><summary>Show the whole prompt", page.Text, StringComparison.Ordinal);
        Assert.Contains($"the whole prompt is request.prompt in the status API", text, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/generations/{id}\">status API</a>", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reference_images_show_as_thumbnails_inline_ones_through_the_reference_endpoint()
    {
        await using var harness = fixture.CreateHarness();
        var png = SmallPng(96, 64);
        var dataUri = "data:image/png;base64," + Convert.ToBase64String(png);
        const string url = "https://example.com/source.png";
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("the same scene in winter", configure: r => r["image"] = new JsonArray(dataUri, url)));
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());

        var html = (await ViewGenerationTests.ViewAsync(harness, id)).Text;

        Assert.DoesNotContain(Convert.ToBase64String(png)[..40], html, StringComparison.Ordinal);
        Assert.Equal(
            [$"/api/generations/{id}/references/0/thumbnail", url, $"/api/generations/{id}/images/0/thumbnail"],
            ViewGenerationTests.ImageSources(html));

        var reference = await ReferenceThumbnailAsync(harness, id, 0);
        Assert.Equal((200, "image/jpeg"), (reference.Status, reference.ContentType));
        using (var thumbnail = Image.NewFromBuffer(reference.Body))
        {
            // A small reference is not enlarged.
            Assert.Equal((96, 64), (thumbnail.Width, thumbnail.Height));
        }

        Assert.True(await harness.Storage.Images.GetBlobClient($"{id}/references/0.thumb.jpg").ExistsAsync());

        // A URL reference has no thumbnail of ours: the page shows it from its URL.
        Assert.Equal(404, (await ReferenceThumbnailAsync(harness, id, 1)).Status);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public async Task A_truncated_inline_reference_gets_a_422_naming_the_truncation_never_a_partial_thumbnail(string format)
    {
        await using var harness = fixture.CreateHarness();
        var whole = NoisyImage(640, 480, format);
        var truncated = whole[..(whole.Length * 2 / 3)];
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("the same scene at noon", configure: r => r["image"] = $"data:image/{format};base64,{Convert.ToBase64String(truncated)}"));
        var id = job.GetProperty("id").GetString()!;

        var reference = await ReferenceThumbnailAsync(harness, id, 0);

        var detail = JsonNode.Parse(reference.Body)!["detail"]!.GetValue<string>();
        Assert.True((reference.Status, reference.ContentType) == (422, "application/problem+json"), $"{reference.Status} {detail}");
        Assert.True(detail.Contains("truncated", StringComparison.Ordinal), detail);
        Assert.False(await harness.Storage.Images.GetBlobClient($"{id}/references/0.thumb.jpg").ExistsAsync());
    }

    [Fact]
    public async Task A_truncated_stored_image_gets_a_422_and_no_stored_thumbnail()
    {
        await using var harness = fixture.CreateHarness();
        var job = await harness.SubmitAndRunAsync(TestRequests.Create("a lighthouse at noon"));
        var id = job.GetProperty("id").GetString()!;
        var blobName = job.GetProperty("images")[0].GetProperty("blobName").GetString()!;
        var whole = (await harness.Storage.Images.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToArray();
        await harness.Storage.Images.GetBlobClient(blobName).UploadAsync(new BinaryData(whole[..(whole.Length / 2)]), overwrite: true);

        var thumbnail = await ThumbnailAsync(harness, id, 0);

        Assert.Equal((422, "application/problem+json"), (thumbnail.Status, thumbnail.ContentType));
        Assert.Contains("truncated", JsonNode.Parse(thumbnail.Body)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(await harness.Storage.Images.GetBlobClient($"{id}/0.thumb.jpg").ExistsAsync());
    }

    /// <summary>An image that compresses poorly, so that a cut through it is a cut through pixel data.</summary>
    internal static byte[] NoisyImage(int width, int height, string format)
    {
        using var noise = Image.Gaussnoise(width, height, sigma: 40, mean: 128);
        using var rgb = noise.Bandjoin(noise, noise).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return format == "png" ? rgb.PngsaveBuffer() : rgb.JpegsaveBuffer(q: 90);
    }

    internal static byte[] SmallPng(int width, int height)
    {
        using var xy = Image.Xyz(width, height);
        using var rgb = xy[0].Bandjoin(xy[1], xy[0]).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return rgb.PngsaveBuffer();
    }

    private static Task<HttpResult> ThumbnailAsync(PipelineHarness harness, string id, int index) =>
        CallAsync(harness, $"/api/generations/{id}/images/{index}/thumbnail",
            request => harness.Create<GetGenerationThumbnail>().RunAsync(request, id, index, CancellationToken.None));

    internal static Task<HttpResult> ReferenceThumbnailAsync(PipelineHarness harness, string id, int index) =>
        CallAsync(harness, $"/api/generations/{id}/references/{index}/thumbnail",
            request => harness.Create<GetGenerationReferenceThumbnail>().RunAsync(request, id, index, CancellationToken.None));

    private static async Task<HttpResult> CallAsync(PipelineHarness harness, string path, Func<HttpRequest, Task<IActionResult>> function)
    {
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = "GET";
        context.Request.Path = path;
        return await HostedFunction.ExecuteAsync(context, () => function(context.Request));
    }
}
