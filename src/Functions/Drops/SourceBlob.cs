using System.Security.Cryptography;
using System.Text;

namespace Seedream.Functions.Drops;

/// <summary>The inbox blob a drop job came from, as the BlobCreated event named it.</summary>
/// <param name="ETag">The blob's ETag when it was created (from the event, without quotes).</param>
public sealed record SourceBlob(string Container, string Name, string ETag, Uri Url)
{
    /// <summary>
    /// <c>d-</c> + SHA-256 of container, name and ETag: every delivery of the event for one blob version maps to one job,
    /// and a re-upload (a new ETag) is a new job.
    /// </summary>
    public string JobId()
    {
        var identity = Encoding.UTF8.GetBytes($"{Container}\n{Name}\n{ETag}");
        return $"d-{Convert.ToHexStringLower(SHA256.HashData(identity))[..40]}";
    }
}
