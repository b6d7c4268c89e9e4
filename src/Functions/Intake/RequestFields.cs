using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Seedream.Functions.Intake;

/// <summary>The JSON shape of one request field, as the client's serializer reads it.</summary>
public enum RequestFieldKind
{
    String,
    Integer,
    Number,
    Boolean,

    /// <summary>One string or an array of strings (<see cref="ImageReferences"/>).</summary>
    StringOrStrings,

    Object,
    ObjectArray,
}

/// <summary>A field of <see cref="ImageGenerationRequest"/> by its JSON path (<c>sequential_image_generation_options.max_images</c>).</summary>
public sealed record RequestField(string Path, RequestFieldKind Kind, Type ClrType)
{
    /// <summary>How a wrong-type message names what the field takes.</summary>
    public string Expected => Kind switch
    {
        RequestFieldKind.String => "a string",
        RequestFieldKind.Integer => "an integer",
        RequestFieldKind.Number => "a number",
        RequestFieldKind.Boolean => "true or false",
        RequestFieldKind.StringOrStrings => "a string or an array of strings",
        RequestFieldKind.Object => "an object",
        _ => "an array of objects",
    };
}

/// <summary>
/// The request fields, read from the client's <see cref="ImageGenerationRequest"/> through its own serializer contract
/// (names and types), so the intake's messages, the image-drop metadata and the OpenAPI check follow the type: a new
/// property is known everywhere once it is on the request.
/// </summary>
public static class RequestFields
{
    private static readonly Lazy<IReadOnlyDictionary<string, RequestField>> s_all = new(() =>
    {
        var fields = new Dictionary<string, RequestField>(StringComparer.Ordinal);
        Collect(typeof(ImageGenerationRequest), prefix: string.Empty, fields);
        return fields;
    });

    /// <summary>Every field by its JSON path, nested object members included; the extension data (unknown fields) is not one.</summary>
    public static IReadOnlyDictionary<string, RequestField> All => s_all.Value;

    public static RequestField? Find(string path) => All.GetValueOrDefault(path);

    private static void Collect(Type type, string prefix, Dictionary<string, RequestField> fields)
    {
        foreach (var property in SeedreamJson.Options.GetTypeInfo(type).Properties)
        {
            if (property.IsExtensionData)
            {
                continue;
            }

            var path = prefix + property.Name;
            var kind = KindOf(property);
            fields.Add(path, new RequestField(path, kind, property.PropertyType));
            if (kind == RequestFieldKind.Object)
            {
                Collect(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, path + ".", fields);
            }
        }
    }

    private static RequestFieldKind KindOf(JsonPropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(string))
        {
            return RequestFieldKind.String;
        }

        if (type == typeof(ImageReferences))
        {
            return RequestFieldKind.StringOrStrings;
        }

        if (type == typeof(bool))
        {
            return RequestFieldKind.Boolean;
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return RequestFieldKind.Integer;
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return RequestFieldKind.Number;
        }

        // The client's extensible enums (SeedreamImageSize, SeedreamOutputFormat, …) are strings on the wire.
        if (type.IsValueType && type.GetMethod("op_Implicit", [typeof(string)]) is not null)
        {
            return RequestFieldKind.String;
        }

        var info = SeedreamJson.Options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object => RequestFieldKind.Object,
            JsonTypeInfoKind.Enumerable when info.ElementType is { } element && SeedreamJson.Options.GetTypeInfo(element).Kind == JsonTypeInfoKind.Object => RequestFieldKind.ObjectArray,
            _ => throw new NotSupportedException($"Request field '{property.Name}' has type {type}, which RequestFields does not describe; add its JSON shape here."),
        };
    }
}
