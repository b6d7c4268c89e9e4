using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Batches;

/// <summary>Batches: options from "Batches" and the root names, the store, fan-out, progress, cancel and the job gate.</summary>
public static class BatchServiceCollectionExtensions
{
    public static IServiceCollection AddPipelineBatches(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BatchOptions>().Bind(configuration.GetSection(BatchOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BatchStorageOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<BatchStore>();
        services.TryAddSingleton<BatchCostEstimator>();
        services.TryAddSingleton<BatchSubmissionService>();
        services.TryAddSingleton<BatchFanOutService>();
        services.TryAddSingleton<BatchViewFactory>();
        services.TryAddSingleton<BatchEventPublisher>();
        services.TryAddSingleton<BatchProgress>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobEndedHandler, BatchProgress>(provider => provider.GetRequiredService<BatchProgress>()));
        services.TryAddSingleton<BatchCancellation>();
        services.TryAddSingleton<BatchJobGate>();
        services.TryAddSingleton<BatchControlConsumer>();
        services.TryAddSingleton<BatchPage>();
        services.AddPoisonQueueHandler<ProcessPoisonBatchGenerationRequest>();
        services.AddPoisonQueueHandler<ProcessPoisonBatchControl>();
        return services;
    }
}
