using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Models;

namespace Seedream.Functions.Tests.Intake;

/// <summary>The model catalog over the emulator's real <c>GET /v1/models</c>: read once, reused, refreshed after its interval.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ModelCatalogTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Catalog_is_read_once_reused_and_refreshed_in_the_background_after_its_interval()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Models:RefreshInterval"] = "00:00:01" });
        var catalog = harness.Services.GetRequiredService<ModelCatalog>();
        var before = ModelListCalls();

        Assert.Equal(ModelAvailability.Listed, await catalog.FindAsync(TestRequests.Model, CancellationToken.None));
        Assert.Equal(ModelAvailability.Unknown, await catalog.FindAsync("no-such-model", CancellationToken.None));
        Assert.Equal(ModelAvailability.NotChecked, await catalog.FindAsync("ep-20250101-abc", CancellationToken.None));
        Assert.Equal(before + 1, ModelListCalls());

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await catalog.FindAsync(TestRequests.Model, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ModelListCalls() < before + 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(before + 2, ModelListCalls());
    }

    [Fact]
    public async Task An_unreadable_catalog_checks_nothing_and_is_not_retried_on_every_request()
    {
        var deadPort = Seedream.Testing.FreePorts.Take(1)[0];
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?>
        {
            ["Seedream:BaseUrls:0"] = $"http://127.0.0.1:{deadPort}/v1",
            ["Models:RetryInterval"] = "00:10:00",
        });
        var catalog = harness.Services.GetRequiredService<ModelCatalog>();

        Assert.Equal(ModelAvailability.NotChecked, await catalog.FindAsync("anything", CancellationToken.None));
        var started = DateTime.UtcNow;
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(ModelAvailability.NotChecked, await catalog.FindAsync("anything", CancellationToken.None));
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), "Each request tried to read the catalog again.");
        Assert.Null(await catalog.GetAsync(CancellationToken.None));
    }

    private int ModelListCalls() => fixture.Emulator.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/models", StringComparison.Ordinal));
}
