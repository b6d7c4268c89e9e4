using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Models;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Intake;

/// <summary>Service registrations of the intake; <see cref="PipelineServiceCollectionExtensions.AddSeedreamPipeline"/> calls <see cref="AddPipelineIntake"/>.</summary>
public static class IntakeServiceCollectionExtensions
{
    /// <summary>The one intake, the model catalog, dead letters, the queue consumer, startup creation of queues and containers and the poison queues' drain.</summary>
    public static IServiceCollection AddPipelineIntake(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<IntakeOptions>().Bind(configuration.GetSection(IntakeOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ModelCatalogOptions>().Bind(configuration.GetSection(ModelCatalogOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeadLetterOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ReferenceUrlProbe>();
        services.TryAddSingleton<ReferenceImageChecker>();
        services.TryAddSingleton<InboxReferenceResolver>();
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<SubmissionIntake>();
        services.TryAddSingleton<DeadLetters>();
        services.TryAddSingleton<GenerationRequestConsumer>();
        var connection = configuration.GetSection(PipelineStorageOptions.ConnectionName);
        services.TryAddSingleton(provider =>
        {
            var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
            return new RawQueueServiceClient(string.IsNullOrEmpty(connection.Value)
                ? new QueueServiceClient(provider.GetRequiredService<QueueServiceClient>().Uri, provider.GetRequiredService<AzureComponentFactory>().CreateTokenCredential(connection), options)
                : new QueueServiceClient(connection.Value, options));
        });
        services.TryAddSingleton<IntakeStorageInitializer>();
        services.AddPoisonQueueHandler<ProcessPoisonGenerationRequest>();
        services.AddPoisonQueueHandler<ProcessPoisonInboxEvent>();
        services.TryAddSingleton<PoisonQueueDrain>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IntakeStorageInitializer>(provider => provider.GetRequiredService<IntakeStorageInitializer>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PoisonQueueDrain>(provider => provider.GetRequiredService<PoisonQueueDrain>()));
        return services;
    }

    /// <summary>Hands <typeparamref name="THandler"/>'s poison queue to <see cref="PoisonQueueDrain"/> (no function triggers on a poison queue).</summary>
    public static IServiceCollection AddPoisonQueueHandler<THandler>(this IServiceCollection services)
        where THandler : class, IPoisonQueueHandler
    {
        services.TryAddSingleton<THandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPoisonQueueHandler, THandler>(provider => provider.GetRequiredService<THandler>()));
        return services;
    }
}
