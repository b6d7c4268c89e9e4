using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>
/// The <c>image</c> parameter: one reference or a list. Remembers which JSON shape it came in (a string or an array)
/// so that a request round-trips unchanged.
/// </summary>
[JsonConverter(typeof(ImageReferencesJsonConverter))]
public sealed class ImageReferences : IReadOnlyList<string>
{
    private readonly string[] _references;

    /// <summary>A single reference, serialized as a JSON string.</summary>
    public ImageReferences(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        _references = [reference];
        IsSingle = true;
    }

    /// <summary>A list of references, serialized as a JSON array (even with one element).</summary>
    public ImageReferences(IEnumerable<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        _references = references.ToArray();
        IsSingle = false;
    }

    /// <summary>True when the parameter is (or came as) one JSON string rather than an array.</summary>
    public bool IsSingle { get; }

    /// <summary>The number of references.</summary>
    public int Count => _references.Length;

    /// <summary>A reference: an http(s) URL or a data URI.</summary>
    /// <param name="index">Its position.</param>
    public string this[int index] => _references[index];

    /// <summary>The references in order.</summary>
    /// <returns>An enumerator.</returns>
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_references).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One reference, sent as a JSON string.</summary>
    /// <param name="reference">An http(s) URL or a data URI.</param>
    public static implicit operator ImageReferences(string reference) => new(reference);

    /// <summary>A list of references, sent as a JSON array.</summary>
    /// <param name="references">http(s) URLs or data URIs.</param>
    public static implicit operator ImageReferences(string[] references) => new(references);
}

internal sealed class ImageReferencesJsonConverter : JsonConverter<ImageReferences>
{
    public override ImageReferences Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new ImageReferences(reader.GetString()!);
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("\"image\" must be a string or an array of strings.");
        }

        var references = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException("Every element of \"image\" must be a string.");
            }

            references.Add(reader.GetString()!);
        }

        return new ImageReferences(references);
    }

    public override void Write(Utf8JsonWriter writer, ImageReferences value, JsonSerializerOptions options)
    {
        if (value.IsSingle)
        {
            writer.WriteStringValue(value[0]);
            return;
        }

        writer.WriteStartArray();
        foreach (var reference in value)
        {
            writer.WriteStringValue(reference);
        }

        writer.WriteEndArray();
    }
}
