using System.Globalization;

namespace SeedreamEmulator;

/// <summary>
/// <c>GET /v1/models</c> (OpenAI-compatible gateway: every id the emulator knows, gateway aliases included) and
/// <c>GET /api/v3/models</c> (Ark: the dated first-party ids only). Both answer the OpenAI list shape; for Ark that
/// shape is inferred (the provider does not document the route's body).
/// </summary>
internal sealed class ModelsEndpoint(EmulatorOptions options, TimeProvider time)
{
    public IResult Handle(HttpContext context, bool gatewayRoute)
    {
        var requestId = RequestIds.New(time);
        context.Response.Headers["x-request-id"] = requestId;
        if (!ApiKeyCheck.IsAuthorized(context.Request, options.ApiKey))
        {
            context.Response.Headers["x-error-code"] = "AuthN_MissOrInvalidAuthorizationHeader";
            var error = ArkErrors.Authentication(requestId);
            return Results.Json(new { error = new { code = error.Code, message = error.Message, param = error.Param, type = error.Type } }, statusCode: error.Status);
        }

        var data = ServedModels.Listed(includeGatewayAliases: gatewayRoute)
            .Select(model => new ModelEntry(model.Id, "model", model.Created.ToUnixTimeSeconds(), model.OwnedBy))
            .ToArray();
        return Results.Json(new ModelList("list", data));
    }

    private sealed record ModelList(
        [property: System.Text.Json.Serialization.JsonPropertyName("object")] string Object,
        [property: System.Text.Json.Serialization.JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

    private sealed record ModelEntry(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("object")] string Object,
        [property: System.Text.Json.Serialization.JsonPropertyName("created")] long Created,
        [property: System.Text.Json.Serialization.JsonPropertyName("owned_by")] string OwnedBy);
}

/// <summary>The Bearer check every API route makes.</summary>
internal static class ApiKeyCheck
{
    public static bool IsAuthorized(HttpRequest request, string apiKey)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = System.Text.Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, System.Text.Encoding.UTF8.GetBytes(apiKey));
    }
}

/// <summary>Server request ids shaped like Ark's.</summary>
internal static class RequestIds
{
    /// <summary>"02" + 13-digit Unix milliseconds + 38 hex digits (contract §10.1).</summary>
    public static string New(TimeProvider time) =>
        "02" + time.GetUtcNow().ToUnixTimeMilliseconds().ToString("D13", CultureInfo.InvariantCulture)
        + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(19));
}
