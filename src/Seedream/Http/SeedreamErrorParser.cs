using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Seedream.Http;

/// <summary>
/// Turns an error answer into a <see cref="SeedreamException"/>. Understands Ark's
/// <c>{"error":{code,message,param,type}}</c>, the OpenAI-compatible gateways' variants (non-string code,
/// <c>statusCode</c>), flat <c>{code,message}</c> and TOS <c>{Code,Message}</c> bodies, and HTML from load balancers.
/// </summary>
internal static partial class SeedreamErrorParser
{
    /// <summary>Error bodies are small; anything beyond this is not read.</summary>
    public const int MaxErrorBodyBytes = 64 * 1024;

    public static async Task<SeedreamException> ReadAsync(HttpResponseMessage response, string? apiKey, bool mayHaveReachedServer, string subject, CancellationToken cancellationToken)
    {
        var body = Array.Empty<byte>();
        var length = 0;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            body = new byte[MaxErrorBodyBytes];
            int read;
            while (length < body.Length && (read = await stream.ReadAsync(body.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The status line is what matters; a body cut short still leaves a usable error.
        }

        var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
        return Parse((int)response.StatusCode, response.ReasonPhrase, body.AsSpan(0, length), requestId, apiKey, mayHaveReachedServer, subject);
    }

    public static SeedreamException Parse(int status, string? reasonPhrase, ReadOnlySpan<byte> body, string? requestIdHeader, string? apiKey, bool mayHaveReachedServer, string subject)
    {
        var details = ParseBody(body);
        var message = details.Message;
        if (string.IsNullOrWhiteSpace(message))
        {
            message = $"HTTP {status} {reasonPhrase}".TrimEnd();
        }

        var requestId = requestIdHeader ?? (message is null ? null : RequestIdInMessage().Match(message) is { Success: true } match ? match.Groups["id"].Value : null);
        var code = details.Code;
        var advice = SeedreamException.AdviceFor(status, code);

        var text = new StringBuilder($"{subject} failed with HTTP {status}");
        if (code is not null)
        {
            text.Append(' ').Append(code);
        }

        if (!string.IsNullOrEmpty(details.Param))
        {
            text.Append(" (param '").Append(details.Param).Append("')");
        }

        text.Append(": ").Append(message);
        if (advice is not null)
        {
            text.Append(' ').Append(advice);
        }

        return new SeedreamException(Redact(text.ToString(), apiKey), status, code, NullIfEmpty(details.Param), NullIfEmpty(details.Type), requestId,
            mayHaveReachedServer: mayHaveReachedServer);
    }

    /// <summary>Removes the API key from text that came from elsewhere (a server may echo what it was sent).</summary>
    public static string Redact(string text, string? apiKey) =>
        string.IsNullOrEmpty(apiKey) ? text : text.Replace(apiKey, "***", StringComparison.Ordinal);

    private static ErrorDetails ParseBody(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOf((byte)'{');
        var trimmed = body.TrimStart(" \t\r\n"u8);
        if (start >= 0 && (trimmed.Length > 0 && trimmed[0] == (byte)'{' || body.IndexOf("data:"u8) >= 0))
        {
            var end = body.LastIndexOf((byte)'}');
            if (end > start && TryParseJson(body[start..(end + 1)], out var details))
            {
                return details;
            }
        }

        return new ErrorDetails(null, Snippet(body), null, null);
    }

    private static bool TryParseJson(ReadOnlySpan<byte> json, out ErrorDetails details)
    {
        details = default;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var error = TryGet(root, "error", out var nested) ? nested : root;
            if (error.ValueKind == JsonValueKind.String)
            {
                details = new ErrorDetails(Text(TryGet(root, "code", out var c) ? c : default), error.GetString(), null, null);
                return true;
            }

            if (error.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var code = TryGet(error, "code", out var codeElement) ? Text(codeElement) : null;
            var message = TryGet(error, "message", out var messageElement) ? Text(messageElement) : null;
            // Vercel-style gateways send {"error":{"message":"Not Found","statusCode":404}}: no code, the status says it.
            if (message is null && TryGet(error, "statusCode", out var statusCode))
            {
                message = $"statusCode {Text(statusCode)}";
            }

            details = new ErrorDetails(
                string.IsNullOrEmpty(code) ? null : code,
                message,
                TryGet(error, "param", out var param) ? Text(param) : null,
                TryGet(error, "type", out var type) ? Text(type) : null);
            return code is not null || message is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static string? Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => element.GetRawText(),
    };

    /// <summary>A short, single-line excerpt of a non-JSON body: the HTML title when there is one.</summary>
    private static string? Snippet(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 4096)]);
        if (HtmlTitle().Match(text) is { Success: true } title)
        {
            return "non-JSON (HTML) body: " + title.Groups["title"].Value.Trim();
        }

        var collapsed = Whitespace().Replace(text, " ").Trim();
        return "non-JSON body: " + (collapsed.Length > 200 ? collapsed[..200] + "…" : collapsed);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private readonly record struct ErrorDetails(string? Code, string? Message, string? Param, string? Type);

    [GeneratedRegex(@"request id:\s*(?<id>[0-9A-Za-z][0-9A-Za-z\-_]*)", RegexOptions.IgnoreCase)]
    private static partial Regex RequestIdInMessage();

    [GeneratedRegex(@"<title[^>]*>(?<title>[^<]*)</title>", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlTitle();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
