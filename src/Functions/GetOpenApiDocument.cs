using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.OpenApi;

namespace Seedream.Functions;

/// <summary>
/// <c>GET /api/openapi.json</c>: the OpenAPI 3.1 description of every route. Anonymous: it holds no data, and tools
/// (code generators, API Management imports) fetch it before they have a key.
/// </summary>
public sealed class GetOpenApiDocument
{
    [Function(nameof(GetOpenApiDocument))]
    public IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = (request.PathBase + request.Path).ToUriComponent();
        var apiPath = path[..Math.Max(path.LastIndexOf('/'), 0)];
        request.HttpContext.Response.Headers.CacheControl = "public, max-age=300";
        return HttpResults.Json(StatusCodes.Status200OK, OpenApiDocument.ForServer(RequestBaseUrl.Of(request) + apiPath));
    }
}
