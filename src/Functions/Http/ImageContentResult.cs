using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Seedream.Functions.Http;

/// <summary>Streams a stored image to the caller.</summary>
public sealed class ImageContentResult(Stream content, string contentType, long length) : IActionResult
{
    public string ContentType => contentType;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        await using (content.ConfigureAwait(false))
        {
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.ContentLength = length;
            response.Headers.CacheControl = "private, max-age=3600";
            await content.CopyToAsync(response.Body, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
