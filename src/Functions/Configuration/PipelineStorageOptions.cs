using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Configuration;

/// <summary>Names of the pipeline's containers and queue; bound from the root app settings of docs/architecture.md §4.</summary>
public sealed class PipelineStorageOptions
{
    /// <summary>Name of the app setting (and configuration section) holding the storage connection.</summary>
    public const string ConnectionName = "AzureWebJobsStorage";

    [Required, RegularExpression(StorageNames.QueuePattern)]
    public string GenerationRequestsQueue { get; set; } = "generation-requests";

    [Required, RegularExpression(StorageNames.ContainerPattern)]
    public string ImagesContainer { get; set; } = "images";

    [Required, RegularExpression(StorageNames.ContainerPattern)]
    public string JobsContainer { get; set; } = "jobs";

    public string GenerationRequestsPoisonQueue => GenerationRequestsQueue + "-poison";
}

internal static class StorageNames
{
    // Azure naming rules: lowercase letters, digits and single hyphens, 3-63 characters. The queue leaves room for "-poison".
    public const string ContainerPattern = "^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$";
    public const string QueuePattern = "^(?=.{3,56}$)[a-z0-9]+(-[a-z0-9]+)*$";
}
