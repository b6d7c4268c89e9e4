using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Http;

namespace Seedream;

public static class SeedreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SeedreamClient"/> (singleton) with options bound from <paramref name="section"/> (the
    /// <c>Seedream</c> section), validated at start, and two named IHttpClientFactory clients: "Seedream" (retries only
    /// 429 and pre-send failures, with base-URL failover) and "Seedream.Downloads" (transient retries, SSRF-guarded
    /// primary handler, no automatic redirects).
    /// </summary>
    public static IServiceCollection AddSeedreamClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);

        services.AddOptions<SeedreamClientOptions>()
            .Bind(section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SeedreamClientOptions>, SeedreamClientOptionsValidator>();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(SeedreamHttpPipelines.ApiClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => SeedreamHttpPipelines.CreateApiHandler(Options(provider)))
            .RedactLoggedHeaders(["Authorization"])
            .AddResilienceHandler("seedream-generation", (builder, context) =>
                SeedreamHttpPipelines.ConfigureGeneration(builder, Options(context.ServiceProvider), context.ServiceProvider.GetRequiredService<TimeProvider>()));

        // The downloads use the same pipeline definition as the standalone client (SeedreamHttpPipelines) instead of the
        // standard handler, whose 10 s attempt / 30 s total timeouts would cut large downloads; the client bounds each
        // download, body included, with Seedream:DownloadTimeout.
        services.AddHttpClient(SeedreamHttpPipelines.DownloadClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => SeedreamHttpPipelines.CreateDownloadHandler(Options(provider)))
            .AddResilienceHandler("seedream-downloads", (builder, _) => SeedreamHttpPipelines.ConfigureDownloads(builder));

        services.AddSingleton(provider =>
        {
            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new SeedreamClient(
                factory.CreateClient(SeedreamHttpPipelines.ApiClientName),
                factory.CreateClient(SeedreamHttpPipelines.DownloadClientName),
                Options(provider),
                provider.GetService<ILogger<SeedreamClient>>());
        });
        return services;
    }

    private static SeedreamClientOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptionsMonitor<SeedreamClientOptions>>().CurrentValue;

    private sealed class SeedreamClientOptionsValidator : IValidateOptions<SeedreamClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, SeedreamClientOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
