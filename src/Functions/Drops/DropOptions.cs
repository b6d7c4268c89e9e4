using System.ComponentModel.DataAnnotations;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Drops;

/// <summary>Names of the drop inbox and its event queue; bound from the root app settings of docs/architecture.md §4.</summary>
public sealed class DropStorageOptions
{
    [Required, RegularExpression(StorageNames.ContainerPattern)]
    public string InboxContainer { get; set; } = "inbox";

    [Required, RegularExpression(StorageNames.QueuePattern)]
    public string InboxEventsQueue { get; set; } = "inbox-events";
}

/// <summary>How reference blobs of the inbox reach Seedream.</summary>
public enum DropReferenceMode
{
    /// <summary>Read URLs when the storage account is public, <c>data:</c> URIs when it is loopback or private (Azurite).</summary>
    Auto,

    /// <summary>Short-lived read URLs (service SAS with an account key, user-delegation SAS with an identity).</summary>
    Url,

    /// <summary>The blob's bytes inline as a <c>data:image/&lt;format&gt;;base64,</c> URI.</summary>
    DataUri,
}

/// <summary>Behaviour of blob drops; configuration section "Drops".</summary>
public sealed class DropOptions
{
    public const string SectionName = "Drops";

    public DropReferenceMode ReferenceMode { get; set; } = DropReferenceMode.Auto;

    /// <summary>
    /// Folder of the inbox for reference images only: blobs under it start no job (every upload to the inbox raises an
    /// event), and JSON drops find the names in their <c>image</c> entries here when they are not beside the request.
    /// </summary>
    [Required, RegularExpression("^[^/].*/$")]
    public string ReferencesFolder { get; set; } = "references/";

    /// <summary>
    /// Largest total of reference bytes one drop may send inline as <c>data:</c> URIs; they travel in the job record
    /// and the request body, so larger sets need <see cref="DropReferenceMode.Url"/>.
    /// </summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public long MaxInlineReferenceBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Lifetime of the read URLs handed to Seedream; covers queue retries before the generation call.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan ReferenceUrlLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Request parameters of image drops that the blob's metadata does not set, by metadata name
    /// (<c>Drops:Defaults:model</c>, <c>Drops:Defaults:size</c>, …; see <see cref="ImageDropParameters"/>).
    /// </summary>
    public Dictionary<string, string> Defaults { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["model"] = SeedreamModels.Seedream50Lite,
    };
}
