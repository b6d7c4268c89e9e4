using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Http;
using Seedream.Functions.Models;

namespace Seedream.Functions;

/// <summary><c>GET /api/models</c>: the provider's models as last read, each with the capabilities the client knows (null for ids it does not).</summary>
public sealed class GetModels
{
    private readonly ModelCatalog _catalog;

    public GetModels(ModelCatalog catalog) => _catalog = catalog;

    [Function(nameof(GetModels))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await _catalog.GetAsync(cancellationToken).ConfigureAwait(false) is not { } snapshot)
        {
            request.HttpContext.Response.Headers.RetryAfter = "30";
            return HttpResults.Problem(StatusCodes.Status503ServiceUnavailable, "Model catalog unavailable",
                "The Seedream endpoint's model list could not be read; submissions are not checked against it meanwhile. Retry shortly.");
        }

        var models = snapshot.Models.Select(model => new ModelView(model.Id, model.CreatedAt, model.OwnedBy, SeedreamModelCapabilities.Find(model.Id))).ToArray();
        return HttpResults.Json(StatusCodes.Status200OK, new ModelList(models, snapshot.ReadAt));
    }

    private sealed record ModelList(IReadOnlyList<ModelView> Data, DateTimeOffset ReadAt);

    private sealed record ModelView(string Id, DateTimeOffset? CreatedAt, string? OwnedBy, ModelCapabilities? Capabilities);
}
