using System.Text.Json.Nodes;

namespace Seedream.Functions.OpenApi;

/// <summary>
/// The API's OpenAPI 3.1 document, kept by hand in <c>OpenApi/openapi.json</c> (embedded): one block under <c>paths</c>
/// per route, named by its function (<c>operationId</c>), with the shared schemas under <c>components</c>. Tests hold it
/// to the generated functions.metadata and to real responses.
/// </summary>
public static class OpenApiDocument
{
    private const string ResourceName = "Seedream.Functions.OpenApi.openapi.json";

    private static readonly Lazy<string> s_text = new(() =>
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The document as maintained, with the relative server URL <c>/api</c>.</summary>
    public static JsonObject Load() => JsonNode.Parse(s_text.Value)!.AsObject();

    /// <summary>The document with its server set to the absolute base URL it was fetched under.</summary>
    public static JsonObject ForServer(string baseUrl)
    {
        var document = Load();
        document["servers"] = new JsonArray(new JsonObject { ["url"] = baseUrl });
        return document;
    }
}
