using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Seedream.Functions.Listing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>The listing's table client from AzureWebJobsStorage in both shapes, and its table name setting.</summary>
public sealed class ListingCompositionTests
{
    private static readonly Dictionary<string, string?> Identity = new()
    {
        ["AzureWebJobsStorage:blobServiceUri"] = "https://seedreamprod.blob.core.windows.net",
        ["AzureWebJobsStorage:queueServiceUri"] = "https://seedreamprod.queue.core.windows.net",
        ["AzureWebJobsStorage:tableServiceUri"] = "https://seedreamprod.table.core.windows.net",
        ["AzureWebJobsStorage:credential"] = "managedidentity",
        ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        ["Seedream:BaseUrls:0"] = "http://127.0.0.1:5080/v1",
        ["Seedream:ApiKey"] = "k",
        ["EventGrid:TopicEndpoint"] = "http://127.0.0.1:5090/api/events",
    };

    [Fact]
    public void Identity_based_settings_give_a_table_client_for_the_table_service_uri()
    {
        using var services = Build(Identity);

        Assert.Equal(new Uri("https://seedreamprod.table.core.windows.net"), services.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal("jobindex", services.GetRequiredService<JobIndex>().TableName);
    }

    [Fact]
    public void Account_name_alone_gives_the_public_table_endpoint()
    {
        using var services = Build(new Dictionary<string, string?>(Identity) { ["AzureWebJobsStorage:tableServiceUri"] = null, ["AzureWebJobsStorage:accountName"] = "seedreamprod" });

        Assert.Equal(new Uri("https://seedreamprod.table.core.windows.net"), services.GetRequiredService<TableServiceClient>().Uri);
    }

    [Fact]
    public void Missing_table_endpoint_is_named_and_a_bad_table_name_is_rejected()
    {
        using var missing = Build(new Dictionary<string, string?>(Identity) { ["AzureWebJobsStorage:tableServiceUri"] = null });
        var error = Assert.Throws<InvalidOperationException>(() => missing.GetRequiredService<TableServiceClient>());
        Assert.Contains("AzureWebJobsStorage__tableServiceUri", error.Message, StringComparison.Ordinal);

        using var badName = Build(new Dictionary<string, string?>(Identity) { ["JobIndexTable"] = "job-index" });
        Assert.Throws<OptionsValidationException>(() => badName.GetRequiredService<IOptions<JobListingOptions>>().Value);
    }

    private static ServiceProvider Build(IReadOnlyDictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSeedreamPipeline(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }
}
