using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>The encoding of result images (<c>output_format</c>; Seedream 5.0 lite and pro, others always return JPEG).</summary>
/// <remarks>
/// An extensible enumeration: the known values are properties, any other string converts implicitly (a value a newer
/// model or a gateway accepts is sent as given). Values compare case-insensitively and are sent as written.
/// </remarks>
[JsonConverter(typeof(SeedreamOutputFormatJsonConverter))]
public readonly struct SeedreamOutputFormat : IEquatable<SeedreamOutputFormat>
{
    private readonly string? _value;

    /// <summary>Creates a value; prefer the known values below.</summary>
    /// <param name="value">The wire value of <c>output_format</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public SeedreamOutputFormat(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary><c>png</c>.</summary>
    public static SeedreamOutputFormat Png { get; } = new("png");

    /// <summary><c>jpeg</c> (the default).</summary>
    public static SeedreamOutputFormat Jpeg { get; } = new("jpeg");

    /// <summary>The media type of the format: <c>image/png</c>, <c>image/jpeg</c>, or <c>image/&lt;value&gt;</c> for others.</summary>
    public string MediaType => "image/" + (Equals(Jpeg) || string.Equals(_value, "jpg", StringComparison.OrdinalIgnoreCase) ? "jpeg" : ToString().ToLowerInvariant());

    /// <summary>True when both values are equal (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(SeedreamOutputFormat left, SeedreamOutputFormat right) => left.Equals(right);

    /// <summary>True when the values differ (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(SeedreamOutputFormat left, SeedreamOutputFormat right) => !left.Equals(right);

    /// <summary>Converts a wire value.</summary>
    /// <param name="value">The wire value of <c>output_format</c>.</param>
    public static implicit operator SeedreamOutputFormat(string value) => new(value);

    /// <inheritdoc/>
    public bool Equals(SeedreamOutputFormat other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => obj is SeedreamOutputFormat other && Equals(other);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The wire value.</summary>
    public override string ToString() => _value ?? string.Empty;
}

internal sealed class SeedreamOutputFormatJsonConverter : JsonConverter<SeedreamOutputFormat>
{
    public override SeedreamOutputFormat Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new SeedreamOutputFormat(reader.GetString()!)
            : throw new JsonException("\"output_format\" must be a string.");

    public override void Write(Utf8JsonWriter writer, SeedreamOutputFormat value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
