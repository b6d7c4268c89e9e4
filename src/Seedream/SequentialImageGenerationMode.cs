using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>Whether the model may return a group of related images (<c>sequential_image_generation</c>).</summary>
/// <remarks>
/// An extensible enumeration: the known values are properties, any other string converts implicitly (a value a newer
/// model or a gateway accepts is sent as given). Values compare case-insensitively and are sent as written.
/// </remarks>
[JsonConverter(typeof(SequentialImageGenerationModeJsonConverter))]
public readonly struct SequentialImageGenerationMode : IEquatable<SequentialImageGenerationMode>
{
    private readonly string? _value;

    /// <summary>Creates a value; prefer the known values below.</summary>
    /// <param name="value">The wire value of <c>sequential_image_generation</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public SequentialImageGenerationMode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary><c>auto</c>: the model decides how many images to return, up to <c>max_images</c>.</summary>
    public static SequentialImageGenerationMode Auto { get; } = new("auto");

    /// <summary><c>disabled</c> (the default): one image.</summary>
    public static SequentialImageGenerationMode Disabled { get; } = new("disabled");

    /// <summary>True when both values are equal (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(SequentialImageGenerationMode left, SequentialImageGenerationMode right) => left.Equals(right);

    /// <summary>True when the values differ (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(SequentialImageGenerationMode left, SequentialImageGenerationMode right) => !left.Equals(right);

    /// <summary>Converts a wire value.</summary>
    /// <param name="value">The wire value of <c>sequential_image_generation</c>.</param>
    public static implicit operator SequentialImageGenerationMode(string value) => new(value);

    /// <inheritdoc/>
    public bool Equals(SequentialImageGenerationMode other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => obj is SequentialImageGenerationMode other && Equals(other);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The wire value.</summary>
    public override string ToString() => _value ?? string.Empty;
}

internal sealed class SequentialImageGenerationModeJsonConverter : JsonConverter<SequentialImageGenerationMode>
{
    public override SequentialImageGenerationMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new SequentialImageGenerationMode(reader.GetString()!)
            : throw new JsonException("\"sequential_image_generation\" must be a string.");

    public override void Write(Utf8JsonWriter writer, SequentialImageGenerationMode value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
