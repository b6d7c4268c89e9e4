using System.Net;

namespace SeedreamEmulator.Tests;

/// <summary>Signed TOS-style result URLs: served while valid, 403 AccessDenied when tampered or expired.</summary>
public sealed class ResultUrlTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    private const string AccessDenied = """{"Code":"AccessDenied","Message":"Access Denied","EC":"0003-00000015"}""";

    private async Task<string> GenerateUrlAsync()
    {
        using var response = await host.PostAsync("""{"model":"doubao-seedream-4-0-250828","prompt":"a bridge","size":"1K"}""");
        return (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data")[0].GetProperty("url").GetString()!;
    }

    [Fact]
    public async Task Url_has_the_tos_presign_shape_and_downloads_repeatedly()
    {
        var url = await GenerateUrlAsync();

        Assert.Matches(@"/results/02[0-9a-f]+/0\.jpeg\?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Credential=[^&]+&X-Tos-Date=\d{8}T\d{6}Z&X-Tos-Expires=86400&X-Tos-Signature=[0-9a-f]{64}&X-Tos-SignedHeaders=host$", url);
        var first = await host.Http.GetByteArrayAsync(url);
        var second = await host.Http.GetByteArrayAsync(url);
        Assert.Equal(first, second);
        Assert.True(ImageAssert.IsPngOrJpeg(first));
    }

    public static TheoryData<string, string> Tamperings => new()
    {
        { "X-Tos-Signature=", "X-Tos-Signature=0" },
        { "X-Tos-Expires=86400", "X-Tos-Expires=999999" },
        { "/0.jpeg", "/1.jpeg" },
        { "&X-Tos-Date=", "&X-Tos-Date=2" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Tampered_url_is_403_access_denied(string original, string replacement)
    {
        var url = await GenerateUrlAsync();

        using var response = await host.Http.GetAsync(url.Replace(original, replacement));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(AccessDenied, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Url_expires_after_the_configured_lifetime()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options => options.UrlLifetime = TimeSpan.FromSeconds(1));
        using var http = EmulatorTestHost.CreateClient(server);
        using var response = await EmulatorTestHost.PostAsync(http, server, """{"model":"doubao-seedream-4-0-250828","prompt":"a tower","size":"1K"}""");
        var url = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data")[0].GetProperty("url").GetString()!;
        Assert.Contains("X-Tos-Expires=1&", url);

        // X-Tos-Date has one-second resolution: two seconds later the URL is past date + 1 s.
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var expired = await http.GetAsync(url);

        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal(AccessDenied, await expired.Content.ReadAsStringAsync());
    }
}
