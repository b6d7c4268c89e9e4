using Azure.Messaging.EventGrid;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Tests;

/// <summary>AddSeedreamPipeline as Program.cs and the development host call it: settings shapes, validation, pricing.</summary>
public sealed class CompositionTests
{
    private static readonly Dictionary<string, string?> LocalSettings = new()
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Seedream:BaseUrls:0"] = "http://127.0.0.1:5080/v1",
        ["Seedream:ApiKey"] = "local-seedream-key",
        ["EventGrid:TopicEndpoint"] = "http://127.0.0.1:5090/api/events",
        ["EventGrid:TopicKey"] = "local-eventgrid-key",
    };

    [Fact]
    public void Local_settings_compose_every_function_with_the_default_names()
    {
        using var services = Build(LocalSettings);

        // Every class the host would index (a method marked [Function]), so a new function that DI cannot build fails here.
        var functions = typeof(SubmitGeneration).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.GetCustomAttributes(inherit: false).Any(a => a.GetType().Name == "FunctionAttribute")))
            .ToArray();
        Assert.Superset(
            new HashSet<Type> { typeof(SubmitGeneration), typeof(GetGeneration), typeof(GetGenerationImage), typeof(ProcessGenerationRequest) },
            functions.ToHashSet());
        foreach (var function in functions)
        {
            var failure = Record.Exception(() => ActivatorUtilities.CreateInstance(services, function));
            Assert.True(failure is null, $"{function.Name} cannot be built from the local settings: {failure}");
        }

        var storage = services.GetRequiredService<PipelineStorage>();
        Assert.Equal("generation-requests", storage.GenerationRequests.Name);
        Assert.Equal("generation-requests-poison", storage.GenerationRequestsPoison.Name);
        Assert.Equal("images", storage.Images.Name);
        Assert.Equal("jobs", storage.Jobs.Name);
    }

    [Fact]
    public void Identity_based_storage_settings_give_clients_for_the_service_uris()
    {
        var settings = new Dictionary<string, string?>(LocalSettings)
        {
            ["AzureWebJobsStorage"] = null,
            ["AzureWebJobsStorage:blobServiceUri"] = "https://seedreamprod.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://seedreamprod.queue.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
            ["EventGrid:TopicKey"] = null,
        };
        using var services = Build(settings);

        Assert.Equal(new Uri("https://seedreamprod.blob.core.windows.net"), services.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("https://seedreamprod.queue.core.windows.net"), services.GetRequiredService<QueueServiceClient>().Uri);
        // Without a key the publisher uses DefaultAzureCredential; constructing it needs no network and no secret.
        var failure = Record.Exception(() => services.GetRequiredService<EventGridPublisherClient>());
        Assert.True(failure is null, $"the publisher cannot be built without a key: {failure}");
    }

    [Fact]
    public void Lease_shorter_than_the_Seedream_request_timeout_is_rejected()
    {
        using var services = Build(new Dictionary<string, string?>(LocalSettings) { ["Pipeline:LeaseDuration"] = "00:05:00" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PipelineOptions>>().Value);
        Assert.Contains("Seedream:RequestTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_event_grid_endpoint_and_bad_queue_name_are_rejected()
    {
        using var services = Build(new Dictionary<string, string?>(LocalSettings) { ["EventGrid:TopicEndpoint"] = null, ["GenerationRequestsQueue"] = "Not_A_Queue" });

        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<EventGridOptions>>().Value);
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PipelineStorageOptions>>().Value);
    }

    [Fact]
    public void Configured_prices_extend_the_contract_defaults()
    {
        using var services = Build(new Dictionary<string, string?>(LocalSettings)
        {
            ["Pricing:Models:my-gateway-alias:PricePerImage"] = "0.5",
            ["Pricing:Models:my-gateway-alias:Currency"] = "EUR",
            ["Pricing:Models:seedream-4-0-250828:PricePerImage"] = "0.025",
        });
        var pricing = services.GetRequiredService<IOptions<PricingOptions>>().Value;

        Assert.Equal(0.5m, pricing.Models["my-gateway-alias"].PricePerImage);
        Assert.Equal("EUR", pricing.Models["my-gateway-alias"].Currency);
        Assert.Equal(0.025m, pricing.Models["seedream-4-0-250828"].PricePerImage);
        Assert.Equal("USD", pricing.Models["seedream-4-0-250828"].Currency);
        Assert.Equal(0.22m, pricing.Models["doubao-seedream-5-0-260128"].PricePerImage);
    }

    [Fact]
    public void Cost_counts_billed_images_only_with_large_image_and_extra_reference_prices()
    {
        using var services = Build(LocalSettings);
        var costs = services.GetRequiredService<CostCalculator>();
        var job = new GenerationJob
        {
            Id = "cost",
            Source = "http",
            Answer = new GenerationAnswer { Model = "doubao-seedream-5-0-pro-260628" },
            Usage = new JobUsage(2, 0, 0, 3),
            Images =
            [
                new StoredImage(0, "cost/0.jpeg", new Uri("https://x/0"), "image/jpeg", 1024, 1024, 1),
                new StoredImage(2, "cost/2.jpeg", new Uri("https://x/2"), "image/jpeg", 2048, 2048, 1),
            ],
            Failures = [new ImageFailure(1, "OutputImageSensitiveContentDetected", "moderated")],
        };

        var cost = costs.Calculate(job, "doubao-seedream-5-0-pro-260628", inputImages: 3);

        // 0.30 (≤ 2.61 MP) + 0.60 (> 2.61 MP) + two references beyond the free first at 0.02; the moderated image is free.
        Assert.Equal(new JobCost(0.94m, "CNY", Estimated: false), cost);
        job.Answer.Model = "ep-20260101-abc";
        Assert.Null(costs.Calculate(job, "ep-20260101-abc", inputImages: 3));
    }

    private static ServiceProvider Build(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSeedreamPipeline(configuration);
        return services.BuildServiceProvider();
    }
}
