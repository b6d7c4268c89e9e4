using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Configuration;

/// <summary>Behaviour of the pipeline; configuration section "Pipeline".</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>
    /// How long a worker owns a job after claiming it or writing progress. It must outlast the Seedream request
    /// (<c>Seedream:RequestTimeout</c>, 10 min by default): an expired lease in the Requested phase means the answer was lost.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// When a generation call may have reached Seedream but its answer was lost, generate again (paying twice)
    /// instead of failing the job with <c>GenerationOutcomeUnknown</c>.
    /// </summary>
    public bool RegenerateWhenOutcomeUnknown { get; set; }

    /// <summary>Lifetime of the image read URLs handed out by the status API.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan ReadUrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest accepted submission body; larger ones get 413 without being read.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Block size of image uploads; an image up to this size goes up in one request. Each upload buffers at most
    /// <see cref="UploadConcurrency"/> + 1 blocks: 24 MiB with the defaults, which measured the same throughput as
    /// 4 and 16 MiB blocks and 2 or 3 in flight (docs/benchmarks.md, issue 6.2).
    /// </summary>
    [Range(1024 * 1024, 100 * 1024 * 1024)]
    public int UploadBlockBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Blocks of one image sent at once, while the next one is read: 1 leaves the upload idle during every read.</summary>
    [Range(1, 8)]
    public int UploadConcurrency { get; set; } = 2;

    [Range(0, 64)]
    public int MaxMetadataEntries { get; set; } = 16;

    [Range(1, 1024)]
    public int MaxMetadataValueLength { get; set; } = 256;
}
