using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Seedream.Extensions.AI;

/// <summary>Exposes <see cref="SeedreamClient"/> as a Microsoft.Extensions.AI <see cref="IImageGenerator"/>.</summary>
public static class SeedreamImageGeneratorExtensions
{
    /// <summary>
    /// An <see cref="IImageGenerator"/> over this client. Every image of an answer is held in memory
    /// (<see cref="DataContent"/>); for large groups use <see cref="SeedreamClient.GenerateImagesAsync"/>, which streams.
    /// The generator does not own the client.
    /// </summary>
    /// <param name="client">The client.</param>
    /// <param name="defaultModelId">The model used when <see cref="ImageGenerationOptions.ModelId"/> is not set.</param>
    /// <returns>The generator; compose middleware with <c>new ImageGeneratorBuilder(generator)</c>.</returns>
    public static IImageGenerator AsImageGenerator(this SeedreamClient client, string? defaultModelId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new SeedreamImageGenerator(client, defaultModelId);
    }

    /// <summary>
    /// Registers an <see cref="IImageGenerator"/> over the registered <see cref="SeedreamClient"/> (see
    /// <c>AddSeedreamClient</c>) through <see cref="ImageGeneratorBuilderServiceCollectionExtensions.AddImageGenerator(IServiceCollection, Func{IServiceProvider, IImageGenerator}, ServiceLifetime)"/>,
    /// and returns its builder for middleware: <c>.UseLogging().UseOpenTelemetry().ConfigureOptions(…)</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="defaultModelId">The model used when <see cref="ImageGenerationOptions.ModelId"/> is not set.</param>
    /// <param name="clientKey">The key of a keyed client (<c>AddKeyedSeedreamClient</c>); null for the unkeyed one.</param>
    /// <returns>The builder of the registered generator.</returns>
    public static ImageGeneratorBuilder AddSeedreamImageGenerator(this IServiceCollection services, string? defaultModelId = null, string? clientKey = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddImageGenerator(provider => ResolveClient(provider, clientKey).AsImageGenerator(defaultModelId));
    }

    /// <summary>As <see cref="AddSeedreamImageGenerator"/>, registered under <paramref name="serviceKey"/> (two providers or models side by side).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key of the generator.</param>
    /// <param name="defaultModelId">The model used when <see cref="ImageGenerationOptions.ModelId"/> is not set.</param>
    /// <param name="clientKey">The key of a keyed client; null for the unkeyed one.</param>
    /// <returns>The builder of the registered generator.</returns>
    public static ImageGeneratorBuilder AddKeyedSeedreamImageGenerator(this IServiceCollection services, object serviceKey, string? defaultModelId = null, string? clientKey = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        return services.AddKeyedImageGenerator(serviceKey, provider => ResolveClient(provider, clientKey).AsImageGenerator(defaultModelId));
    }

    private static SeedreamClient ResolveClient(IServiceProvider provider, string? clientKey) =>
        clientKey is null ? provider.GetRequiredService<SeedreamClient>() : provider.GetRequiredKeyedService<SeedreamClient>(clientKey);
}
