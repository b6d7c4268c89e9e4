using System.Net;

namespace SeedreamEmulator.Tests;

/// <summary>Keyword sizes (§3.1), WxH echo, model defaults (§2.2) and group counts.</summary>
public sealed class SizeAndCountTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    [Theory]
    [InlineData("doubao-seedream-5-0-260128", null, "a plain scene", 2048, 2048)]
    [InlineData("doubao-seedream-5-0-260128", "4K", "a wide scene, 16:9", 5504, 3040)]
    [InlineData("doubao-seedream-5-0-260128", "3k", "a portrait 3:4", 2592, 3456)]
    [InlineData("doubao-seedream-4-0-250828", "1K", "a banner 21:9", 1512, 648)]
    [InlineData("doubao-seedream-4-5-251128", "2K", "a 5:4 frame", 2288, 1824)]
    [InlineData("doubao-seedream-5-0-pro-260628", null, "a wide poster 16:9", 2816, 1584)]
    [InlineData("doubao-seedream-5-0-pro-260628", "1.5K", "a square", 1536, 1536)]
    [InlineData("doubao-seedream-3-0-t2i-250415", null, "a default", 1024, 1024)]
    [InlineData("doubao-seedream-4-5-251128", "2560x1440", "explicit", 2560, 1440)]
    public async Task Size_resolves_per_model(string model, string? size, string prompt, int width, int height)
    {
        var sizeField = size is null ? "" : $",\"size\":\"{size}\"";
        using var response = await host.PostAsync($$"""{"model":"{{model}}","prompt":"{{prompt}}"{{sizeField}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        var item = body.GetProperty("data")[0];
        Assert.Equal((width, height), ImageAssert.Size(item));
        Assert.Equal(model, body.GetProperty("model").GetString());
        ImageAssert.UsageMatches(body.GetProperty("usage"), [(width, height)]);
    }

    [Theory]
    [InlineData("a story in pictures", null, 0, 15)]
    [InlineData("a story in pictures", null, 2, 13)]
    [InlineData("a story in pictures", 4, 0, 4)]
    [InlineData("生成三张图片", null, 0, 3)]
    [InlineData("draw 5 images", 3, 0, 3)]
    [InlineData("draw 2 images", 10, 1, 2)]
    public async Task Auto_group_count_follows_max_images_references_and_prompt(string prompt, int? maxImages, int references, int expected)
    {
        var options = maxImages is null ? "" : $$""","sequential_image_generation_options":{"max_images":{{maxImages}}}""";
        var images = references == 0 ? "" : $",\"image\":[{string.Join(",", Enumerable.Range(0, references).Select(index => $"\"https://example.com/{index}.png\""))}]";
        using var response = await host.PostAsync($$"""{"model":"doubao-seedream-4-5-251128","prompt":"{{prompt}}","sequential_image_generation":"auto"{{options}}{{images}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        Assert.Equal(expected, body.GetProperty("data").GetArrayLength());
        Assert.Equal(expected, body.GetProperty("usage").GetProperty("generated_images").GetInt32());
    }

    [Fact]
    public async Task Disabled_group_mode_returns_one_image_whatever_the_prompt_says()
    {
        using var response = await host.PostAsync("""{"model":"doubao-seedream-4-5-251128","prompt":"生成3张图片","sequential_image_generation":"disabled"}""");

        Assert.Equal(1, (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data").GetArrayLength());
    }
}
