using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;

namespace Seedream.Functions.Storage;

/// <summary>
/// Storage clients from the Functions host's <c>AzureWebJobsStorage</c> setting in either shape: a connection string, or
/// identity-based <c>__blobServiceUri</c> / <c>__queueServiceUri</c> (or <c>__accountName</c>) with <c>__credential</c>
/// and <c>__clientId</c>. Microsoft.Extensions.Azure's own client registration only knows <c>serviceUri</c>, so the
/// URIs are resolved here and only the credential comes from its factory.
/// </summary>
internal static class StorageClientFactory
{
    public static BlobServiceClient CreateBlobServiceClient(IConfigurationSection connection, AzureComponentFactory factory) =>
        string.IsNullOrEmpty(connection.Value)
            ? new BlobServiceClient(ServiceUri(connection, "blob"), Credential(connection, factory))
            : new BlobServiceClient(connection.Value);

    public static QueueServiceClient CreateQueueServiceClient(IConfigurationSection connection, AzureComponentFactory factory)
    {
        var options = new QueueClientOptions();
        PipelineQueueEncoding.Apply(options);
        return string.IsNullOrEmpty(connection.Value)
            ? new QueueServiceClient(ServiceUri(connection, "queue"), Credential(connection, factory), options)
            : new QueueServiceClient(connection.Value, options);
    }

    private static Uri ServiceUri(IConfigurationSection connection, string service)
    {
        if (connection[$"{service}ServiceUri"] is { Length: > 0 } serviceUri)
        {
            return new Uri(serviceUri);
        }

        if (connection["accountName"] is { Length: > 0 } accountName)
        {
            return new Uri($"https://{accountName}.{service}.core.windows.net");
        }

        throw new InvalidOperationException(
            $"Setting '{connection.Path}' is missing: give a connection string, or '{connection.Path}__{service}ServiceUri' (or '__accountName') for identity-based access.");
    }

    private static TokenCredential Credential(IConfigurationSection connection, AzureComponentFactory factory) => factory.CreateTokenCredential(connection);
}
