using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream;

/// <summary>The <c>size</c> parameter: a resolution keyword (<c>2K</c>, <c>4K</c>, …) or explicit <c>WxH</c> pixels.</summary>
/// <remarks>
/// An extensible enumeration: the known values are properties, any other string converts implicitly (a value a newer
/// model or a gateway accepts is sent as given). Values compare case-insensitively and are sent as written.
/// </remarks>
[JsonConverter(typeof(SeedreamImageSizeJsonConverter))]
public readonly struct SeedreamImageSize : IEquatable<SeedreamImageSize>
{
    private readonly string? _value;

    /// <summary>Creates a value; prefer the known values below.</summary>
    /// <param name="value">The wire value of <c>size</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public SeedreamImageSize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary><c>1K</c> (Seedream 4.0, 5.0 pro).</summary>
    public static SeedreamImageSize OneK { get; } = new("1K");

    /// <summary><c>1.5K</c> (Seedream 5.0 pro).</summary>
    public static SeedreamImageSize OnePointFiveK { get; } = new("1.5K");

    /// <summary><c>2K</c>.</summary>
    public static SeedreamImageSize TwoK { get; } = new("2K");

    /// <summary><c>3K</c> (Seedream 5.0 lite).</summary>
    public static SeedreamImageSize ThreeK { get; } = new("3K");

    /// <summary><c>4K</c> (Seedream 4.0, 4.5, 5.0 lite).</summary>
    public static SeedreamImageSize FourK { get; } = new("4K");

    /// <summary><c>adaptive</c> (SeedEdit 3.0: the size follows the reference image).</summary>
    public static SeedreamImageSize Adaptive { get; } = new("adaptive");

    /// <summary>Explicit pixels, sent as <c>WxH</c>.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The size <c>{width}x{height}</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A side is not positive.</exception>
    public static SeedreamImageSize FromPixels(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        return new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{width}x{height}"));
    }

    /// <summary>Reads <c>WxH</c> pixels; false for keywords.</summary>
    /// <param name="width">The width, when the size is explicit.</param>
    /// <param name="height">The height, when the size is explicit.</param>
    /// <returns>True when the size is <c>WxH</c>.</returns>
    public bool TryGetPixels(out int width, out int height) => ImageGenerationRequestValidator.TryParseSize(_value, out width, out height);

    /// <summary>True when both values are equal (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(SeedreamImageSize left, SeedreamImageSize right) => left.Equals(right);

    /// <summary>True when the values differ (ignoring case).</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(SeedreamImageSize left, SeedreamImageSize right) => !left.Equals(right);

    /// <summary>Converts a wire value.</summary>
    /// <param name="value">The wire value of <c>size</c>.</param>
    public static implicit operator SeedreamImageSize(string value) => new(value);

    /// <inheritdoc/>
    public bool Equals(SeedreamImageSize other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => obj is SeedreamImageSize other && Equals(other);

    /// <inheritdoc/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The wire value.</summary>
    public override string ToString() => _value ?? string.Empty;
}

internal sealed class SeedreamImageSizeJsonConverter : JsonConverter<SeedreamImageSize>
{
    public override SeedreamImageSize Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new SeedreamImageSize(reader.GetString()!)
            : throw new JsonException("\"size\" must be a string.");

    public override void Write(Utf8JsonWriter writer, SeedreamImageSize value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
