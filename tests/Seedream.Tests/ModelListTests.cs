using System.Text;

namespace Seedream.Tests;

/// <summary><see cref="SeedreamClient.GetModelsAsync"/> against the emulator's two routes and against odd gateway answers.</summary>
public sealed class ModelListTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task Gateway_route_lists_every_id_the_emulator_knows_with_created_and_owner()
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.GatewayBaseUrl));

        var models = await client.GetModelsAsync();

        var lite = Assert.Single(models, model => model.Id == SeedreamModels.Seedream50Lite);
        Assert.Equal(new DateTimeOffset(2026, 1, 28, 0, 0, 0, TimeSpan.Zero), lite.CreatedAt);
        Assert.Equal("volcengine", lite.OwnedBy);
        Assert.Equal("byteplus", Assert.Single(models, model => model.Id == SeedreamModels.BytePlusSeedream45).OwnedBy);
        // Gateway aliases are listed on /v1 only.
        Assert.Equal("custom", Assert.Single(models, model => model.Id == "seedream-4.5").OwnedBy);
        Assert.Equal(models.Count, models.Select(model => model.Id).Distinct().Count());
        var request = emulator.Server.Requests.Last();
        Assert.Equal(("GET", "/v1/models"), (request.Method, request.Path));
    }

    [Fact]
    public async Task Ark_route_lists_the_dated_first_party_ids()
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        var models = await client.GetModelsAsync();

        Assert.Contains(models, model => model.Id == SeedreamModels.Seedream45);
        Assert.Contains(models, model => model.Id == SeedreamModels.BytePlusSeedream50Flash);
        Assert.DoesNotContain(models, model => model.Id == "seedream-4.5");
        Assert.All(models, model => Assert.NotNull(model.CreatedAt));
        Assert.Equal("/api/v3/models", emulator.Server.Requests.Last().Path);
    }

    [Fact]
    public async Task Wrong_key_is_a_401_with_advice_and_not_transient()
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.ApiKey = "not-the-key";
        var client = new SeedreamClient(options);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GetModelsAsync());

        Assert.Equal(401, error.Status);
        Assert.Equal("AuthenticationError", error.ErrorCode);
        Assert.False(error.IsTransient);
        Assert.DoesNotContain("not-the-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_first_base_url_fails_over_to_the_next_one_for_the_list_too()
    {
        var client = new SeedreamClient(TestSupport.Options(TestSupport.ClosedPortBaseUrl(), emulator.Server.GatewayBaseUrl));

        var models = await client.GetModelsAsync();

        Assert.Contains(models, model => model.Id == SeedreamModels.Seedream50Lite);
        Assert.Equal("/v1/models", emulator.Server.Requests.Last().Path);
    }

    [Theory]
    [InlineData("""[{"id":"a","created":"2026-01-28T00:00:00Z"}]""", "a", 2026)]
    [InlineData("""{"object":"list","data":[{"id":"b","object":"model","created":1769558400,"owned_by":null}]}""", "b", 2026)]
    [InlineData("""{"data":[{"id":"c","created":"yesterday"}],"success":true}""", "c", null)]
    public async Task Gateway_variants_of_the_list_are_read(string body, string id, int? year)
    {
        await using var server = await CannedHttpServer.StartAsync(200, "application/json", Encoding.UTF8.GetBytes(body));
        var client = new SeedreamClient(TestSupport.Options(new Uri(server.BaseAddress, "v1")));

        var model = Assert.Single(await client.GetModelsAsync());

        Assert.Equal(id, model.Id);
        Assert.Equal(year, model.CreatedAt?.Year);
        Assert.Null(model.OwnedBy);
    }

    [Theory]
    [InlineData("""{"object":"list"}""")]
    [InlineData("""{"data":[{"object":"model"}]}""")]
    [InlineData("<html><title>ok</title></html>")]
    public async Task A_list_of_another_shape_is_an_invalid_response(string body)
    {
        await using var server = await CannedHttpServer.StartAsync(200, "application/json", Encoding.UTF8.GetBytes(body));
        var client = new SeedreamClient(TestSupport.Options(new Uri(server.BaseAddress, "v1")));

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GetModelsAsync());

        Assert.Equal(SeedreamException.InvalidResponseCode, error.ErrorCode);
        Assert.False(error.IsTransient);
    }
}
