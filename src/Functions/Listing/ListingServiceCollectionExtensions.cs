using Azure.Data.Tables;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Listing;

/// <summary>The job listing: its index table (from <c>AzureWebJobsStorage</c>, as the blob and queue clients) and the lister.</summary>
public static class ListingServiceCollectionExtensions
{
    public static IServiceCollection AddJobListing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<JobListingOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        var connection = configuration.GetSection(PipelineStorageOptions.ConnectionName);
        services.AddAzureClientsCore();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => CreateTableServiceClient(connection, provider.GetRequiredService<AzureComponentFactory>()));
        services.TryAddSingleton<JobIndex>();
        services.TryAddSingleton<JobLister>();
        services.TryAddSingleton<ListingRequestParser>();
        return services;
    }

    /// <summary>A connection string, or identity-based <c>__tableServiceUri</c> (or <c>__accountName</c>) with <c>__credential</c>/<c>__clientId</c>.</summary>
    internal static TableServiceClient CreateTableServiceClient(IConfigurationSection connection, AzureComponentFactory factory)
    {
        if (!string.IsNullOrEmpty(connection.Value))
        {
            return new TableServiceClient(connection.Value);
        }

        var serviceUri = connection["tableServiceUri"] is { Length: > 0 } uri
            ? new Uri(uri)
            : connection["accountName"] is { Length: > 0 } account
                ? new Uri($"https://{account}.table.core.windows.net")
                : throw new InvalidOperationException(
                    $"Setting '{connection.Path}' is missing: give a connection string, or '{connection.Path}__tableServiceUri' (or '__accountName') for identity-based access to the job index table.");
        return new TableServiceClient(serviceUri, factory.CreateTokenCredential(connection));
    }
}
