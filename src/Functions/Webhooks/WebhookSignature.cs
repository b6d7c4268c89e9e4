using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Seedream.Functions.Webhooks;

/// <summary>
/// The Standard Webhooks scheme (standardwebhooks.com), on the framework's HMAC: <c>webhook-signature</c> holds
/// <c>v1,</c> + base64 HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c> under the key a <c>whsec_</c>
/// secret encodes, once per secret, space-separated. Tests check it against the NuGet <c>StandardWebhooks</c> package.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";
    private const string Version = "v1";

    /// <summary>The key a <c>whsec_</c> secret encodes; null when it is not one (the message never repeats the secret).</summary>
    public static byte[]? DecodeSecret(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
            return key.Length >= 16 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The <c>webhook-signature</c> value: one <c>v1,</c> signature per key.</summary>
    public static string Sign(IEnumerable<byte[]> keys, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var content = SignedContent(id, timestamp.ToString(CultureInfo.InvariantCulture), body);
        var signatures = keys.Select(key => $"{Version},{Convert.ToBase64String(HMACSHA256.HashData(key, content))}").ToList();

        // The C# verifier of Svix/StandardWebhooks (1.1.2) skips the last entry of a multi-signature header
        // (svix/svix-webhooks#2393): repeating the first at the end lets its users verify with either rotation secret.
        return string.Join(' ', signatures.Count > 1 ? [.. signatures, signatures[0]] : signatures);
    }

    /// <summary>Why the headers do not prove that a holder of one of <paramref name="keys"/> sent <paramref name="body"/> recently; null when they do.</summary>
    public static string? Verify(IReadOnlyList<byte[]> keys, string? id, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return $"The request must carry the Standard Webhooks headers {IdHeader}, {TimestampHeader} and {SignatureHeader}.";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return $"{TimestampHeader} must be whole seconds since 1970-01-01 UTC.";
        }

        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - sent).Duration() > tolerance)
        {
            return $"{TimestampHeader} is more than {tolerance.TotalMinutes:0.#} minutes from now; a replayed or delayed request is refused.";
        }

        var content = SignedContent(id, timestamp, body);
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var part in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = part.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || part[..comma] != Version || !Convert.TryFromBase64String(part[(comma + 1)..], given, out var written) || written != given.Length)
            {
                continue;
            }

            foreach (var key in keys)
            {
                HMACSHA256.HashData(key, content, expected);
                if (CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return null;
                }
            }
        }

        return $"{SignatureHeader} matches no configured secret for this {IdHeader}, {TimestampHeader} and body.";
    }

    private static byte[] SignedContent(string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return content;
    }
}
