using System.ComponentModel.DataAnnotations;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Batches;

/// <summary>Batches: configuration section "Batches"; the container and queue names are root app settings like the pipeline's.</summary>
public sealed class BatchOptions
{
    public const string SectionName = "Batches";

    /// <summary>The OpenAI Batch API's limit: 200 MB.</summary>
    [Range(1024, 1L << 40)]
    public long MaxInputBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>The OpenAI Batch API's limit: 50,000 requests; lines after it are line errors.</summary>
    [Range(1, 10_000_000)]
    public int MaxLines { get; set; } = 50_000;

    /// <summary>Lines between two checkpoints of the fan-out (also bounded by <see cref="ChunkBytes"/>).</summary>
    [Range(1, 100_000)]
    public int ChunkLines { get; set; } = 200;

    /// <summary>Bytes of lines held at once by the fan-out before it checkpoints.</summary>
    [Range(64 * 1024, 1L << 30)]
    public long ChunkBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Lines of one chunk put through the intake at once.</summary>
    [Range(1, 64)]
    public int IntakeConcurrency { get; set; } = 8;

    /// <summary>
    /// Jobs of one batch created but not yet ended, at most: the fan-out stops when this many are unfinished and goes on
    /// once half of them have ended. 500 is about a minute of the provider's 500 images a minute, so the batch queue never
    /// runs dry, while a cancel walks at most this many jobs and two batches take turns rather than queue behind each other.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxJobsAhead { get; set; } = 500;

    /// <summary>Without <c>completion_window</c> or <c>deadline</c>: the OpenAI Batch API's 24 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan DefaultCompletionWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a running batch recounts its jobs from their markers (a backstop for counts lost in a crash).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lifetime of the output and error files' read URLs.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan ResultUrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Jobs shown per page of a batch's view page.</summary>
    [Range(1, 500)]
    public int ViewPageSize { get; set; } = 50;
}

/// <summary>The batches container and the two batch queues; root app settings (docs/architecture.md §4).</summary>
public sealed class BatchStorageOptions
{
    [Required, RegularExpression(StorageNames.ContainerPattern)]
    public string BatchesContainer { get; set; } = "batches";

    /// <summary>Fan-out, recount and finalize messages (<c>{"batchId","step"}</c>).</summary>
    [Required, RegularExpression(StorageNames.QueuePattern)]
    public string BatchControlQueue { get; set; } = "batch-control";

    /// <summary>References to the batch's jobs, run by their own trigger so that a batch does not starve single requests.</summary>
    [Required, RegularExpression(StorageNames.QueuePattern)]
    public string BatchGenerationRequestsQueue { get; set; } = "batch-generation-requests";
}
