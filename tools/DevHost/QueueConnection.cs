using Azure.Identity;
using Azure.Storage.Queues;

namespace Seedream.DevHost;

/// <summary>Creates queue clients from a trigger's connection setting, as the Functions host reads it.</summary>
internal static class QueueConnection
{
    public const string DefaultSetting = "AzureWebJobsStorage";

    /// <summary>
    /// A connection string in the setting itself, or identity-based (<c>&lt;setting&gt;__queueServiceUri</c>, DefaultAzureCredential).
    /// </summary>
    public static QueueServiceClient CreateServiceClient(string? connectionSetting, IConfiguration configuration, QueueClientOptions options)
    {
        var setting = string.IsNullOrEmpty(connectionSetting) ? DefaultSetting : connectionSetting;
        if (configuration[setting] is { Length: > 0 } connectionString)
        {
            return new QueueServiceClient(connectionString, options);
        }

        if (configuration[$"{setting}:queueServiceUri"] is { Length: > 0 } serviceUri)
        {
            return new QueueServiceClient(new Uri(serviceUri), new DefaultAzureCredential(), options);
        }

        throw new InvalidOperationException($"Queue connection setting '{setting}' is not set (neither a connection string nor '{setting}__queueServiceUri').");
    }
}
