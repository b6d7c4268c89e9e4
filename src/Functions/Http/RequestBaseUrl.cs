using Microsoft.AspNetCore.Http;

namespace Seedream.Functions.Http;

/// <summary>
/// The one place absolute links are derived from a request: <c>scheme://host</c> when the request's Host header makes
/// a valid URL, otherwise nothing, so links fall back to root-relative paths (<c>/api/…</c>), which HTTP (Location),
/// HTML (href) and OpenAPI (<c>servers</c>) all resolve against the URL the caller used. The Host header is the
/// caller's text: <c>127.0.0.1:99999</c> or an HTTP/1.0 request without one must not become a 500 or <c>http:///api</c>.
/// </summary>
internal static class RequestBaseUrl
{
    /// <summary><c>https://example.net</c> (no trailing slash), or the empty string when the request names no usable host.</summary>
    public static string Of(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scheme = request.Scheme;
        if (!request.Host.HasValue || !(string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase) || string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase)))
        {
            return string.Empty;
        }

        var authority = request.Host.ToUriComponent();
        var candidate = $"{scheme}://{authority}";

        // Only a bare authority passes: a valid port, no user info, no path, query or fragment smuggled into the header.
        return Uri.TryCreate(candidate + "/", UriKind.Absolute, out var uri)
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 && uri.Host.Length > 0
            ? candidate
            : string.Empty;
    }
}
