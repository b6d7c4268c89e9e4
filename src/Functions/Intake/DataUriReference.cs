using System.Buffers;
using System.Buffers.Text;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Intake;

/// <summary>A <c>data:image/&lt;format&gt;;base64,</c> reference: its media type is case-insensitive (RFC 2045), Seedream wants it lowercase.</summary>
public static class DataUriReference
{
    private const string Prefix = "data:";
    private const string Marker = ";base64,";

    public static bool IsDataUri(string entry) => entry.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>Data:Image/PNG;Base64,…</c> → <c>data:image/png;base64,…</c>; other strings unchanged.</summary>
    public static string Normalise(string entry)
    {
        if (!IsDataUri(entry))
        {
            return entry;
        }

        var marker = entry.IndexOf(Marker, StringComparison.OrdinalIgnoreCase);
        if (marker < 0 || marker > 64)
        {
            return entry;
        }

        var head = entry[..(marker + Marker.Length)];
        var lower = head.ToLowerInvariant();
        return head == lower ? entry : string.Concat(lower, entry.AsSpan(head.Length));
    }

    /// <summary>Why the data URI's image would be refused; null when fine. Decodes only the first bytes of the payload.</summary>
    public static string? Check(string entry, string? model)
    {
        var marker = entry.IndexOf(Marker, StringComparison.Ordinal);
        if (marker < 0 || !entry.StartsWith("data:image/", StringComparison.Ordinal))
        {
            return null; // The client's validator words the shape problem.
        }

        var format = entry["data:image/".Length..marker];
        var payload = entry.AsSpan(marker + Marker.Length);
        var decodedLength = DecodedLength(payload);
        var chunkChars = Math.Min(payload.Length, (ImageHeader.HeaderBytes + 2) / 3 * 4);
        var buffer = ArrayPool<byte>.Shared.Rent(ImageHeader.HeaderBytes + 3);
        try
        {
            var chunk = payload[..(chunkChars - (chunkChars % 4))];
            if (!Convert.TryFromBase64Chars(chunk, buffer, out var written))
            {
                // Whitespace inside the base64 can shift the chunk boundary: decode the whole payload instead.
                byte[] whole;
                try
                {
                    whole = Convert.FromBase64String(payload.ToString());
                }
                catch (FormatException)
                {
                    return "Invalid base64 image url: the data is not valid base64.";
                }

                return ReferenceImageRules.Check(whole, whole.Length, format, model);
            }

            if (ReferenceImageRules.NeedsWholeFile(buffer.AsSpan(0, written), decodedLength))
            {
                // GIF frames and TIFF pages lie throughout the file: judge all of them (at most 30 MB, for this check only).
                var whole = new byte[decodedLength];
                return Convert.TryFromBase64Chars(payload, whole, out var wholeLength)
                    ? ReferenceImageRules.Check(whole.AsSpan(0, wholeLength), wholeLength, format, model)
                    : "Invalid base64 image url: the data is not valid base64.";
            }

            return ReferenceImageRules.Check(buffer.AsSpan(0, written), decodedLength, format, model);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long DecodedLength(ReadOnlySpan<char> payload)
    {
        var significant = payload.Length;
        var padding = payload.EndsWith("==") ? 2 : payload.EndsWith("=") ? 1 : 0;
        return Base64.IsValid(payload, out var decoded) ? decoded : (significant / 4 * 3) - padding;
    }
}
