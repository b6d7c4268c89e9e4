using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace SeedreamEmulator.Tests;

/// <summary>
/// References on other hosts are read as the real API reads them: one that cannot be downloaded or is not an image is a
/// 400 naming <c>image</c>. <see cref="ExternalReferenceMode.Substitute"/> lets local runs use requests written for the
/// real service.
/// </summary>
public sealed class ExternalReferenceTests
{
    [Theory]
    [InlineData("image-to-image")]
    [InlineData("multi-image-fusion")]
    public async Task By_default_the_examples_unreadable_references_are_a_400_as_on_the_real_api(string example)
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);

        using var response = await EmulatorTestHost.PostAsync(http, server, EmulatorTestHost.Example(example));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("InvalidParameter", error.GetProperty("code").GetString());
        Assert.Equal("image", error.GetProperty("param").GetString());
        Assert.Contains("Image 0 failed: the image could not be downloaded", error.GetProperty("message").GetString());
        Assert.DoesNotContain(server.Requests, request => request.Path.StartsWith("/results/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reference_that_answers_with_something_else_than_an_image_is_a_400()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);
        var notAnImage = new Uri(server.BaseAddress, "_emulator/requests");
        var body = EmulatorTestHost.Edit(EmulatorTestHost.Example("image-to-image"), request => request["image"] = notAnImage.ToString());

        using var response = await EmulatorTestHost.PostAsync(http, server, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("image", error.GetProperty("param").GetString());
        Assert.Contains("Image 0 failed: the image content could not be decoded", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Substitute_mode_runs_the_examples_without_reading_the_references()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.ExternalReferences = ExternalReferenceMode.Substitute);
        using var http = EmulatorTestHost.CreateClient(server);

        using var response = await EmulatorTestHost.PostAsync(http, server, EmulatorTestHost.Example("multi-image-fusion"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data").EnumerateArray());
        Assert.DoesNotContain(server.Requests, request => request.Path.StartsWith("/references/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_setting_binds_from_configuration()
    {
        var app = EmulatorApplication.Create(["--urls", "http://127.0.0.1:0", "--Emulator:ExternalReferences=Substitute", "--Logging:LogLevel:Default=Warning"]);
        await using (app)
        {
            Assert.Equal(ExternalReferenceMode.Substitute, app.Services.GetRequiredService<EmulatorOptions>().ExternalReferences);
        }
    }
}
