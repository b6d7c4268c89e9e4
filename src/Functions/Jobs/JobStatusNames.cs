using System.Diagnostics.CodeAnalysis;

namespace Seedream.Functions.Jobs;

/// <summary>Job statuses by their JSON names (snake_case), the form callers use in query strings.</summary>
public static class JobStatusNames
{
    /// <summary>Every status this version knows (<see cref="JobOutcomes.All"/>).</summary>
    public static IEnumerable<string> All => JobOutcomes.All.Select(o => o.Name);

    public static string NameOf(JobStatus status) => JobOutcomes.Of(status).Name;

    /// <summary>Only the statuses this version knows; <c>unknown</c> is not one a caller can ask for.</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out JobStatus status)
    {
        status = JobOutcomes.Of(name).Status;
        return JobOutcomes.IsKnown(name);
    }
}
