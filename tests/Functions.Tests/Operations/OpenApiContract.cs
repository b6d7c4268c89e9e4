using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Pointer;
using Json.Schema;

namespace Seedream.Functions.Tests.Operations;

/// <summary>The app's OpenAPI document as a JSON Schema resource: a response is checked against the schema the document gives for its route, method, status and media type.</summary>
internal sealed class OpenApiContract
{
    private static readonly Uri s_documentUri = new("https://seedream.test/openapi.json");

    private readonly SchemaRegistry _registry = new();

    public OpenApiContract(JsonObject document)
    {
        Document = JsonDocument.Parse(document.ToJsonString()).RootElement;
        _registry.Register(s_documentUri, new JsonElementBaseDocument(Document, s_documentUri));
    }

    public JsonElement Document { get; }

    public JsonElement Operation(string path, string method) =>
        Document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant());

    /// <summary>Fails unless the document declares this status and media type for the operation and the body is valid against its schema.</summary>
    public void AssertValid(string path, string method, HttpResult response)
    {
        var responses = Operation(path, method).GetProperty("responses");
        var status = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(responses.TryGetProperty(status, out var declared), $"{method} {path} does not declare {status}; it declares {string.Join(", ", responses.EnumerateObject().Select(p => p.Name))}.");
        if (declared.TryGetProperty("$ref", out var reference))
        {
            declared = JsonPointer.Parse(reference.GetString()!.TrimStart('#')).Evaluate(Document) ?? throw new InvalidOperationException($"{reference} does not resolve.");
        }

        var mediaType = (response.ContentType ?? string.Empty).Split(';')[0].Trim();
        Assert.True(declared.TryGetProperty("content", out var content) && content.TryGetProperty(mediaType, out _),
            $"{method} {path} {status} does not declare the media type '{mediaType}'.");
        if (!mediaType.EndsWith("json", StringComparison.Ordinal))
        {
            return;
        }

        // Its "#/components/…" references are made absolute, so they resolve in the registered document.
        var schemaText = content.GetProperty(mediaType).GetProperty("schema").GetRawText()
            .Replace("\"$ref\":\"#/", $"\"$ref\":\"{s_documentUri}#/", StringComparison.Ordinal);
        var schema = JsonSchema.FromText(schemaText, new BuildOptions { SchemaRegistry = _registry }, new Uri($"https://seedream.test/checks/{Guid.NewGuid():N}.json"));
        var results = schema.Evaluate(JsonDocument.Parse(response.Body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.True(results.IsValid, $"{method} {path} {status} body does not match the document:\n{Describe(results)}\n{response.Text}");
    }

    private static string Describe(EvaluationResults results) =>
        string.Join('\n', (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
}
