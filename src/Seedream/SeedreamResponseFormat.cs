using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>How result images are returned (<c>response_format</c>).</summary>
/// <remarks>
/// An extensible enumeration: the known values are properties, any other string converts implicitly (a value a newer
/// model or a gateway accepts is sent as given). Values compare case-insensitively and are sent as written.
/// </remarks>
[JsonConverter(typeof(SeedreamResponseFormatJsonConverter))]
public readonly struct SeedreamResponseFormat : IEquatable<SeedreamResponseFormat>
{
    private readonly string? _value;

    /// <summary>Creates a value; prefer the known values below.</summary>
    /// <param name="value">The wire value of <c>response_format</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public SeedreamResponseFormat(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary><c>url</c> (the default): a presigned download URL, valid 24 hours.</summary>
    public static SeedreamResponseFormat Url { get; } = new("url");

    /// <summary><c>b64_json</c>: the image bytes inside the response, base64-encoded.</summary>
    public static SeedreamResponseFormat Base64Json { get; } = new("b64_json");

    /// <summary>True when both values are equal (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(SeedreamResponseFormat left, SeedreamResponseFormat right) => left.Equals(right);

    /// <summary>True when the values differ (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(SeedreamResponseFormat left, SeedreamResponseFormat right) => !left.Equals(right);

    /// <summary>Converts a wire value.</summary>
    /// <param name="value">The wire value of <c>response_format</c>.</param>
    public static implicit operator SeedreamResponseFormat(string value) => new(value);

    /// <inheritdoc/>
    public bool Equals(SeedreamResponseFormat other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => obj is SeedreamResponseFormat other && Equals(other);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The wire value.</summary>
    public override string ToString() => _value ?? string.Empty;
}

internal sealed class SeedreamResponseFormatJsonConverter : JsonConverter<SeedreamResponseFormat>
{
    public override SeedreamResponseFormat Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new SeedreamResponseFormat(reader.GetString()!)
            : throw new JsonException("\"response_format\" must be a string.");

    public override void Write(Utf8JsonWriter writer, SeedreamResponseFormat value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
