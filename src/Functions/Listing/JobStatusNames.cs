using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Seedream.Functions;

/// <summary>Job statuses by their JSON names (snake_case), the form callers use in query strings.</summary>
public static class JobStatusNames
{
    private static readonly Dictionary<string, JobStatus> s_byName =
        Enum.GetValues<JobStatus>().ToDictionary(NameOf, status => status, StringComparer.Ordinal);

    public static IEnumerable<string> All => s_byName.Keys;

    public static string NameOf(JobStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    public static bool TryParse(string? name, [NotNullWhen(true)] out JobStatus status) => s_byName.TryGetValue(name ?? string.Empty, out status);
}
