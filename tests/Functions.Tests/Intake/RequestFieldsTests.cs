using System.Text.Json.Nodes;
using Seedream.Functions.Drops;
using Seedream.Functions.Intake;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// The request fields come from the client's <see cref="ImageGenerationRequest"/>: the intake's wrong-type messages, the
/// image-drop metadata and the OpenAPI request schema agree with it field by field, and a property added to the request
/// fails here until each of them knows it.
/// </summary>
public sealed class RequestFieldsTests
{
    public static TheoryData<string> Fields() => [.. RequestFields.All.Keys];

    [Fact]
    public void The_fields_are_the_request_s_properties_with_their_wire_types()
    {
        var fields = RequestFields.All.ToDictionary(f => f.Key, f => f.Value.Kind);
        // A few fixed points, so the reflection cannot drift unnoticed (a renamed property, a changed type).
        Assert.Equal(RequestFieldKind.String, fields["model"]);
        Assert.Equal(RequestFieldKind.StringOrStrings, fields["image"]);
        Assert.Equal(RequestFieldKind.String, fields["size"]);
        Assert.Equal(RequestFieldKind.Integer, fields["seed"]);
        Assert.Equal(RequestFieldKind.Number, fields["guidance_scale"]);
        Assert.Equal(RequestFieldKind.Boolean, fields["stream"]);
        Assert.Equal(RequestFieldKind.Object, fields["sequential_image_generation_options"]);
        Assert.Equal(RequestFieldKind.Integer, fields["sequential_image_generation_options.max_images"]);
        Assert.Equal(RequestFieldKind.ObjectArray, fields["tools"]);
        Assert.DoesNotContain("additional_properties", fields.Keys);
        Assert.DoesNotContain("tools.type", fields.Keys);
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void The_openapi_request_schema_describes_the_field_with_its_type(string path)
    {
        var field = RequestFields.All[path];
        JsonNode? schema = OpenApiRequestSchema();
        foreach (var segment in path.Split('.'))
        {
            schema = schema?["properties"]?[segment];
        }

        Assert.True(schema is not null, $"openapi.json's GenerationRequest has no '{path}'.");
        var documented = schema["type"]?.GetValue<string>() switch
        {
            "string" => RequestFieldKind.String,
            "integer" => RequestFieldKind.Integer,
            "number" => RequestFieldKind.Number,
            "boolean" => RequestFieldKind.Boolean,
            "object" => RequestFieldKind.Object,
            "array" when schema["items"]?["type"]?.GetValue<string>() == "object" => RequestFieldKind.ObjectArray,
            null when schema["oneOf"] is JsonArray oneOf && oneOf.Count == 2 && oneOf[0]?["type"]?.GetValue<string>() == "string"
                && oneOf[1]?["type"]?.GetValue<string>() == "array" && oneOf[1]?["items"]?["type"]?.GetValue<string>() == "string" => RequestFieldKind.StringOrStrings,
            var other => throw new Xunit.Sdk.XunitException($"openapi.json's '{path}' has type '{other}', which is not {field.Kind}."),
        };
        Assert.Equal(field.Kind, documented);
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_value_of_the_wrong_type_is_named_with_what_the_field_takes(string path)
    {
        var field = RequestFields.All[path];
        JsonNode wrong = field.Kind switch
        {
            RequestFieldKind.Object or RequestFieldKind.ObjectArray or RequestFieldKind.Boolean => JsonValue.Create(42),
            RequestFieldKind.Integer or RequestFieldKind.Number => JsonValue.Create("not a number"),
            _ => new JsonObject { ["x"] = 1 },
        };
        var segments = path.Split('.');
        var body = new JsonObject();
        var parent = body;
        foreach (var segment in segments[..^1])
        {
            parent = (JsonObject)(parent[segment] = new JsonObject());
        }

        parent[segments[^1]] = wrong;
        var problems = new IntakeProblems();

        Assert.Null(RequestBinder.Bind(body, problems));
        var messages = problems.ToDictionary();
        Assert.True(messages.ContainsKey(path), $"no problem under '{path}': {string.Join("; ", messages.Keys)}");
        Assert.Contains($"{path} must be {field.Expected}", Assert.Single(messages[path]), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_field_is_an_image_drop_metadata_value_or_named_as_not_one()
    {
        var fromMetadata = ImageDropParameters.Fields.Values.ToHashSet(StringComparer.Ordinal);
        var notFromMetadata = ImageDropParameters.NotFromMetadata.Keys.ToHashSet(StringComparer.Ordinal);

        Assert.Empty(fromMetadata.Intersect(notFromMetadata));
        Assert.Equal(RequestFields.All.Keys.Order(StringComparer.Ordinal), fromMetadata.Union(notFromMetadata).Order(StringComparer.Ordinal));
        // Today's metadata names (docs: src/Functions/Drops/README.md).
        Assert.Equal(
            ["background", "guidance_scale", "max_images", "model", "optimize_prompt_mode", "output_format", "prompt", "response_format", "seed", "sequential_image_generation", "size", "watermark"],
            ImageDropParameters.Fields.Keys.Order(StringComparer.Ordinal));
        // A metadata value is text: it can only carry a scalar.
        Assert.All(fromMetadata, path => Assert.Contains(RequestFields.All[path].Kind,
            new[] { RequestFieldKind.String, RequestFieldKind.Integer, RequestFieldKind.Number, RequestFieldKind.Boolean }));
    }

    [Fact]
    public void Image_drop_metadata_converts_by_the_field_s_type()
    {
        var errors = new Dictionary<string, List<string>>();
        var request = ImageDropParameters.ToRequest(
            new Dictionary<string, string> { ["watermark"] = "true", ["max_images"] = "3" },
            new Dictionary<string, string> { ["seed"] = "12", ["guidance_scale"] = "2.5", ["prompt"] = "%E7%81%AF%E5%A1%94", ["watermark"] = "maybe" },
            errors);

        Assert.Equal(12, request["seed"]!.GetValue<long>());
        Assert.Equal(2.5, request["guidance_scale"]!.GetValue<double>());
        Assert.Equal("灯塔", request["prompt"]!.GetValue<string>());
        Assert.Equal(3, request["sequential_image_generation_options"]!["max_images"]!.GetValue<long>());
        Assert.Equal(["Metadata 'watermark' must be true or false, got 'maybe'."], errors["watermark"]);
    }

    private static JsonNode OpenApiRequestSchema() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Functions", "OpenApi", "openapi.json")))!["components"]!["schemas"]!["GenerationRequest"]!;
}
