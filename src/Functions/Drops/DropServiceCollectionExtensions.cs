using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seedream.Functions.Batches;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Drops;

/// <summary>Service registrations of blob drops; <see cref="PipelineServiceCollectionExtensions.AddSeedreamPipeline"/> calls <see cref="AddPipelineDrops"/>.</summary>
public static class DropServiceCollectionExtensions
{
    /// <summary>The inbox, the drop services and the job-ended hook that marks drops with their outcome; options from the root settings and "Drops".</summary>
    public static IServiceCollection AddPipelineDrops(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DropStorageOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DropOptions>().Bind(configuration.GetSection(DropOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxStore>();
        services.TryAddSingleton<DropRequestBuilder>();
        services.TryAddSingleton<DropService>();
        services.TryAddSingleton<BatchDropService>();
        // Drop jobs end through the same outbox as every job; this hook marks their source blob before the event goes out.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobEndedHandler, DropOutcomeMarker>());
        // Batch drops: the batch-ended hook marks the .jsonl blob with the batch's final status.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBatchEndedHandler, DropOutcomeMarker>());
        return services;
    }
}
