using Microsoft.AspNetCore.Http;

namespace Seedream.Functions.Batches;

/// <summary>The absolute URL of <c>…/batches</c> from a request under it (whatever the route prefix), and the function key to carry along.</summary>
public sealed record BatchLinks(string Batches, string KeyQuery)
{
    /// <param name="trimSegments">Path segments after <c>batches</c> in the request (<c>{id}</c>: 1, <c>{id}/view</c>: 2).</param>
    public static BatchLinks For(HttpRequest request, int trimSegments)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = (request.PathBase + request.Path).ToUriComponent().TrimEnd('/');
        for (var i = 0; i < trimSegments && path.LastIndexOf('/') is var slash and > 0; i++)
        {
            path = path[..slash];
        }

        var key = request.Query["code"].ToString();
        return new BatchLinks($"{request.Scheme}://{request.Host.ToUriComponent()}{path}", key.Length == 0 ? string.Empty : "?code=" + Uri.EscapeDataString(key));
    }
}
