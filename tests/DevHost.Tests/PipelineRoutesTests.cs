using System.Net;
using System.Text.Json;
using Seedream.Functions;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

/// <summary>The development host serves the pipeline's own function classes as ./run.sh starts them (repository host.json and local settings).</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class PipelineRoutesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Cancel_route_is_served_with_POST_and_answers_an_unknown_job_with_a_404_problem()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var options = new FunctionsDevHostOptions
        {
            ScriptRoot = RepositoryPaths.Root,
            ConfigureServices = (services, configuration) => services.AddSeedreamPipeline(configuration),
        };
        options.FunctionAssemblies.Add(typeof(CancelGeneration).Assembly);
        options.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
        options.Settings["GenerationRequestsQueue"] = $"gen-{suffix}";
        options.Settings["InboxEventsQueue"] = $"inbox-events-{suffix}";
        options.Settings["WebhookDeliveriesQueue"] = $"webhooks-{suffix}";
        options.Settings["JobsContainer"] = $"jobs-{suffix}";
        options.Settings["ImagesContainer"] = $"images-{suffix}";
        options.Settings["InboxContainer"] = $"inbox-{suffix}";
        options.Settings["urls"] = "http://127.0.0.1:0";
        await using var app = FunctionsDevHost.Build([], options);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/") };

        using var unknown = await http.PostAsync($"api/generations/{Guid.CreateVersion7():N}/cancel", null);
        using var wrongMethod = await http.GetAsync($"api/generations/{Guid.CreateVersion7():N}/cancel");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("Generation not found", problem.RootElement.GetProperty("title").GetString());
        Assert.NotEqual(HttpStatusCode.OK, wrongMethod.StatusCode);
        Assert.NotEqual("application/problem+json", wrongMethod.Content.Headers.ContentType?.MediaType);
        await app.StopAsync();
    }
}
