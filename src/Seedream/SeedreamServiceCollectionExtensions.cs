using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Http;

namespace Seedream;

/// <summary>Registers <see cref="SeedreamClient"/> in a service collection.</summary>
public static class SeedreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SeedreamClient"/> (singleton) with options bound from <paramref name="section"/> (the
    /// <c>Seedream</c> section), validated at start, and two named IHttpClientFactory clients: "Seedream" (retries only
    /// 429 and pre-send failures, with base-URL failover) and "Seedream.Downloads" (transient retries, SSRF-guarded
    /// primary handler, no automatic redirects). A client already registered is kept (TryAdd).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, e.g. <c>configuration.GetSection("Seedream")</c>.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSeedreamClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddCore(services, serviceKey: null, options => options.Bind(section));
    }

    /// <summary>Registers <see cref="SeedreamClient"/> (singleton) with options set by <paramref name="configure"/>; otherwise as the configuration overload.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (base URLs, key, timeouts).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSeedreamClient(this IServiceCollection services, Action<SeedreamClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, serviceKey: null, options => options.Configure(configure));
    }

    /// <summary>
    /// Registers a keyed <see cref="SeedreamClient"/> (resolve it with <c>[FromKeyedServices("ark")]</c> or
    /// <c>GetRequiredKeyedService&lt;SeedreamClient&gt;("ark")</c>), so that two providers (e.g. Ark and a gateway) can be
    /// used side by side. Its options are the named options <paramref name="serviceKey"/>; its HTTP clients are
    /// "Seedream:{key}" and "Seedream.Downloads:{key}".
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key, also the name of its options.</param>
    /// <param name="section">The configuration section of this client.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKeyedSeedreamClient(this IServiceCollection services, string serviceKey, IConfiguration section)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        ArgumentNullException.ThrowIfNull(section);
        return AddCore(services, serviceKey, options => options.Bind(section));
    }

    /// <summary>Registers a keyed <see cref="SeedreamClient"/> with options set by <paramref name="configure"/>; otherwise as the configuration overload.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key, also the name of its options.</param>
    /// <param name="configure">Sets the options of this client.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKeyedSeedreamClient(this IServiceCollection services, string serviceKey, Action<SeedreamClientOptions> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, serviceKey, options => options.Configure(configure));
    }

    private static IServiceCollection AddCore(IServiceCollection services, string? serviceKey, Action<OptionsBuilder<SeedreamClientOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var name = serviceKey ?? Microsoft.Extensions.Options.Options.DefaultName;
        var apiClientName = serviceKey is null ? SeedreamHttpPipelines.ApiClientName : $"{SeedreamHttpPipelines.ApiClientName}:{serviceKey}";
        var downloadClientName = serviceKey is null ? SeedreamHttpPipelines.DownloadClientName : $"{SeedreamHttpPipelines.DownloadClientName}:{serviceKey}";

        configure(services.AddOptions<SeedreamClientOptions>(name).ValidateOnStart());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SeedreamClientOptions>, SeedreamClientOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(apiClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => SeedreamHttpPipelines.CreateApiHandler(Options(provider, name)))
            .RedactLoggedHeaders(["Authorization"])
            .AddResilienceHandler("seedream-generation", (builder, context) =>
                SeedreamHttpPipelines.ConfigureGeneration(builder, Options(context.ServiceProvider, name), context.ServiceProvider.GetRequiredService<TimeProvider>()));

        // The downloads use the same pipeline definition as the standalone client (SeedreamHttpPipelines) instead of the
        // standard handler, whose 10 s attempt / 30 s total timeouts would cut large downloads; the client bounds each
        // download, body included, with Seedream:DownloadTimeout.
        services.AddHttpClient(downloadClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => SeedreamHttpPipelines.CreateDownloadHandler(Options(provider, name)))
            .AddResilienceHandler("seedream-downloads", (builder, _) => SeedreamHttpPipelines.ConfigureDownloads(builder));

        SeedreamClient Create(IServiceProvider provider)
        {
            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new SeedreamClient(
                factory.CreateClient(apiClientName),
                factory.CreateClient(downloadClientName),
                Options(provider, name),
                provider.GetService<ILogger<SeedreamClient>>());
        }

        if (serviceKey is null)
        {
            services.TryAddSingleton(Create);
        }
        else
        {
            services.TryAddKeyedSingleton(serviceKey, (provider, _) => Create(provider));
        }

        return services;
    }

    private static SeedreamClientOptions Options(IServiceProvider provider, string name) =>
        provider.GetRequiredService<IOptionsMonitor<SeedreamClientOptions>>().Get(name);

    private sealed class SeedreamClientOptionsValidator : IValidateOptions<SeedreamClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, SeedreamClientOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
