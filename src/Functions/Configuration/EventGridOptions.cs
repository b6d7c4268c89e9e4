using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Configuration;

/// <summary>Event Grid topic the pipeline publishes to; configuration section "EventGrid".</summary>
public sealed class EventGridOptions
{
    public const string SectionName = "EventGrid";

    [Required]
    public Uri? TopicEndpoint { get; set; }

    /// <summary>Access key for local runs; without it the app authenticates with <c>DefaultAzureCredential</c>.</summary>
    public string? TopicKey { get; set; }

    /// <summary>CloudEvent <c>source</c> of every event.</summary>
    [Required]
    public string Source { get; set; } = "/seedream/pipeline";

    /// <summary>Also publish one <c>Seedream.Image.Stored</c> event per stored image.</summary>
    public bool PublishImageStoredEvents { get; set; }
}
