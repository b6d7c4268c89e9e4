using Seedream.Functions.Jobs;


namespace Seedream.Functions.Listing;

/// <summary>What the listing shows of a job: enough to pick one, not its images or request.</summary>
public sealed record JobSummary(string Id, JobStatus Status, DateTimeOffset CreatedAt, string? Model, int ImageCount, JobCost? Cost)
{
    public static JobSummary From(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobSummary(job.Id, job.Status, job.CreatedAt, ModelOf(job), job.Images.Count, job.Cost);
    }

    /// <summary>Final statuses cannot change any more (<see cref="JobOutcomes"/>).</summary>
    public static bool IsFinal(JobStatus status) => JobOutcomes.IsFinal(status);

    /// <summary>The model Seedream reported, else the one requested.</summary>
    private static string? ModelOf(GenerationJob job) => job.Answer?.Model ?? job.Request?.Model;
}
