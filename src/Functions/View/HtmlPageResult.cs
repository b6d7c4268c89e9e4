using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Seedream.Functions.View;

/// <summary>
/// Writes a rendered HTML page itself (no MVC view engine), so it works under the Functions host and the development
/// host alike. The headers lock the page down to what it uses: inline styles, images from this app and the caller's
/// reference image URLs.
/// </summary>
public sealed class HtmlPageResult : IActionResult
{
    public const string ContentType = "text/html; charset=utf-8";

    // Images also from http(s): reference images given as URLs are shown from where the caller put them.
    public const string ContentSecurityPolicy =
        "default-src 'none'; img-src 'self' https: http:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public HtmlPageResult(string html) => Html = html;

    public string Html { get; }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        var body = Encoding.UTF8.GetBytes(Html);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";

        // The page shows a changing status and may carry a function key in its links: never cache or leak it.
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        await response.Body.WriteAsync(body, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
