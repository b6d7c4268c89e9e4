using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Listing;

/// <summary>
/// The listing's continuation token: the row key of the last job a page returned, versioned and base64url-encoded.
/// It names a position, not a snapshot, so jobs created after the first page never shift later pages.
/// </summary>
public static class JobListContinuation
{
    private const string Version = "1:";

    public static string Encode(string rowKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Version + rowKey));

    public static bool TryDecode(string? token, [NotNullWhen(true)] out string? rowKey)
    {
        rowKey = null;
        if (string.IsNullOrEmpty(token) || token.Length > 256 || !Base64Url.IsValid(token))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }

        if (!text.StartsWith(Version, StringComparison.Ordinal))
        {
            return false;
        }

        var candidate = text[Version.Length..];
        if (JobIndexEntry.CreatedAtFromRowKey(candidate) is null || !SubmissionIntake.JobIdPattern().IsMatch(candidate[20..]))
        {
            return false;
        }

        rowKey = candidate;
        return true;
    }
}
