namespace Seedream.Functions.Webhooks;

/// <summary>A submission's own callback: where the job's notifications go, and which.</summary>
/// <param name="Url">https (loopback http only in local runs), checked at submission and again when connecting.</param>
/// <param name="Events">Names from <see cref="WebhookEvents"/>; <c>job.ended</c> when the submission named none.</param>
public sealed record WebhookSubscription(Uri Url, IReadOnlyList<string> Events)
{
    public bool Wants(string name) => Events.Contains(name, StringComparer.Ordinal);
}

/// <summary>The notifications a callback can ask for; the body of each is the CloudEvent Event Grid gets.</summary>
public static class WebhookEvents
{
    /// <summary>The job's terminal event (<c>Seedream.ImageSeries.Completed</c>, <c>.Failed</c>, <c>.Cancelled</c>, <c>.Expired</c>).</summary>
    public const string JobEnded = "job.ended";

    /// <summary>One <c>Seedream.Image.Stored</c> event per stored image.</summary>
    public const string ImageStored = "image.stored";

    public static IReadOnlyList<string> All { get; } = [JobEnded, ImageStored];
}
