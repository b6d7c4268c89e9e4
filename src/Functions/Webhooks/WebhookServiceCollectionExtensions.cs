using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Webhooks;

/// <summary>Service registrations of callbacks and inbound webhook checks; <see cref="PipelineServiceCollectionExtensions.AddSeedreamPipeline"/> calls <see cref="AddPipelineWebhooks"/>.</summary>
public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddPipelineWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.SectionName)).ValidateDataAnnotations()
            .Validate(o => o.SigningSecrets.Concat(o.InboundSecrets).All(s => WebhookSignature.DecodeSecret(s) is not null),
                "Webhooks:SigningSecrets and Webhooks:InboundSecrets must each be whsec_ followed by the base64 of at least 16 bytes.")
            .ValidateOnStart();
        services.AddOptions<WebhookQueueOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<WebhookAddressResolver>();
        services.TryAddSingleton<WebhookTargetRules>();
        services.TryAddSingleton<WebhookQueue>();
        services.TryAddSingleton<WebhookNotifier>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobEndedHandler, WebhookNotifier>(provider => provider.GetRequiredService<WebhookNotifier>()));
        services.TryAddSingleton<WebhookDeliveryStore>();
        services.TryAddSingleton<WebhookSender>();
        services.TryAddSingleton<WebhookDeliverer>();
        services.TryAddSingleton<InboundWebhookVerifier>();
        services.AddPoisonQueueHandler<ProcessPoisonWebhookDelivery>();
        return services;
    }
}
