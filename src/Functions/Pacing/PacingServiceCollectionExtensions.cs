using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Seedream.Functions.Pacing;

/// <summary>Registration of the pacing area (configuration section "Pacing").</summary>
public static class PacingServiceCollectionExtensions
{
    /// <summary>
    /// The pacer of <c>Pacing:Mode</c>, the paused-model board and the waiting queue. Also turns the client's in-process
    /// 429 retries off (<c>Seedream:MaxRateLimitRetries</c> = 0 unless configured): a rate-limited job waits outside the
    /// worker instead. Call before <c>AddSeedreamClient</c> so that configuration still wins.
    /// </summary>
    public static IServiceCollection AddPipelinePacing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(PacingOptions.SectionName);
        services.AddOptions<PacingOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        if (section.GetValue(nameof(PacingOptions.Mode), PacingMode.SharedBudget) != PacingMode.Off)
        {
            services.AddOptions<SeedreamClientOptions>().Configure(options => options.MaxRateLimitRetries = 0);
        }

        services.TryAddSingleton<ModelPauseBoard>();
        services.TryAddSingleton<WaitingJobQueue>();
        services.TryAddSingleton<PacingGate>();
        services.TryAddSingleton<GenerationPacer>(provider => provider.GetRequiredService<IOptions<PacingOptions>>().Value.Mode switch
        {
            PacingMode.Adaptive => ActivatorUtilities.CreateInstance<AdaptivePacer>(provider),
            PacingMode.SharedBudget => ActivatorUtilities.CreateInstance<SharedBudgetPacer>(provider),
            _ => new UnpacedPacer(),
        });
        return services;
    }
}
