using Azure;
using Azure.Identity;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Events;
using Seedream.Functions.Http;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Listing;
using Seedream.Functions.Pacing;
using Seedream.Functions.Processing;
using Seedream.Functions.Runtime;
using Seedream.Functions.Storage;
using Seedream.Functions.Submissions;
using Seedream.Functions.Thumbnails;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions;

/// <summary>Service registrations of the pipeline, one per area; the Functions host and the development host call <see cref="AddSeedreamPipeline"/>.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>Everything the function classes need: Seedream client, storage, events, submissions and processing.</summary>
    public static IServiceCollection AddSeedreamPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPipelinePacing(configuration);
        services.AddSeedreamClient(configuration.GetSection("Seedream"));
        services.AddPipelineStorage(configuration);
        services.AddPipelineEvents(configuration);
        services.AddPipelineProcessing(configuration);
        services.AddPipelineDrops(configuration);
        services.AddJobListing(configuration);
        services.AddPipelineWebhooks(configuration);
        services.AddPipelineBatches(configuration);
        return services;
    }

    /// <summary>
    /// Blob and queue clients from <c>AzureWebJobsStorage</c>: a connection string locally, or identity-based
    /// <c>__blobServiceUri</c>/<c>__queueServiceUri</c> (+ <c>__credential</c>, <c>__clientId</c>) in Azure.
    /// Queue messages are base64 (<see cref="PipelineQueueEncoding"/>), as host.json tells the host.
    /// </summary>
    public static IServiceCollection AddPipelineStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PipelineStorageOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        var connection = configuration.GetSection(PipelineStorageOptions.ConnectionName);
        services.AddAzureClientsCore();
        services.TryAddSingleton(provider => StorageClientFactory.CreateBlobServiceClient(connection, provider.GetRequiredService<AzureComponentFactory>()));
        services.TryAddSingleton(provider => StorageClientFactory.CreateQueueServiceClient(connection, provider.GetRequiredService<AzureComponentFactory>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PipelineStorage>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<BlobSasIssuer>();
        services.TryAddSingleton(provider => new ImageStore(
            provider.GetRequiredService<PipelineStorage>(), provider.GetRequiredService<IOptions<PipelineOptions>>(), provider.GetRequiredService<BlobSasIssuer>()));
        services.TryAddSingleton<GenerationQueue>();
        return services;
    }

    /// <summary>The Event Grid publisher: <c>EventGrid:TopicKey</c> locally, else <c>DefaultAzureCredential</c> (managed identity).</summary>
    public static IServiceCollection AddPipelineEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventGridOptions>().Bind(configuration.GetSection(EventGridOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<EventGridOptions>>().Value;
            return string.IsNullOrEmpty(options.TopicKey)
                ? new EventGridPublisherClient(options.TopicEndpoint, new DefaultAzureCredential())
                : new EventGridPublisherClient(options.TopicEndpoint, new AzureKeyCredential(options.TopicKey));
        });
        services.TryAddSingleton<JobEventPublisher>();
        return services;
    }

    /// <summary>Submissions, the job runner and the status API's services; options from "Pipeline" and "Pricing".</summary>
    public static IServiceCollection AddPipelineProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PipelineOptions>().Bind(configuration.GetSection(PipelineOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
        services.AddOptions<PricingOptions>().Bind(configuration.GetSection(PricingOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<PipelineMetrics>();
        services.AddPipelineIntake(configuration);
        services.TryAddSingleton<SubmissionService>();
        services.TryAddSingleton<CostCalculator>();
        services.TryAddSingleton<JobViewFactory>();
        services.TryAddSingleton<JobLookup>();
        services.TryAddSingleton<ThumbnailStore>();
        services.TryAddSingleton<RequestBodyReader>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, IdleMemoryRelease>());
        services.TryAddSingleton<JobRecheck>();
        services.TryAddSingleton<ImageIngest>();
        services.TryAddSingleton<TerminalEventOutbox>();
        services.TryAddSingleton<GenerationRunner.Services>();
        services.TryAddSingleton(provider => new GenerationRunner(provider.GetRequiredService<GenerationRunner.Services>()));
        return services;
    }
}
