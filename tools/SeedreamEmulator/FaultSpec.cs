using System.Globalization;

namespace SeedreamEmulator;

/// <summary>A parsed fault spec <c>name[;key=value]*</c> (grammar in README.md).</summary>
public sealed class FaultSpec
{
    public static readonly IReadOnlyList<string> KnownNames =
    [
        "rate-limit", "error", "gateway-error", "internal-error", "reset", "slow-headers", "truncate",
        "corrupt-base64", "moderation", "internal-error-at", "expired-urls", "not-an-image",
    ];

    private static readonly string[] NumericKeys = ["retry-after", "status", "delay-ms", "after-bytes", "index"];

    private readonly Dictionary<string, string> _parameters;

    private FaultSpec(string text, string name, Dictionary<string, string> parameters)
    {
        Text = text;
        Name = name;
        _parameters = parameters;
    }

    /// <summary>The spec as written.</summary>
    public string Text { get; }

    public string Name { get; }

    public static FaultSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !KnownNames.Contains(parts[0], StringComparer.Ordinal))
        {
            throw new FormatException($"Unknown emulator fault '{text}'. Known faults: {string.Join(", ", KnownNames)}.");
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"Emulator fault parameter '{part}' in '{text}' is not key=value.");
            }

            parameters[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        var fault = new FaultSpec(text.Trim(), parts[0], parameters);

        // Reject bad numbers now, so that a typo fails where the fault is set, not mid-response.
        foreach (var key in NumericKeys)
        {
            fault.GetLong(key);
        }

        fault.GetIndexes("indexes");
        return fault;
    }

    public string? GetString(string key) => _parameters.TryGetValue(key, out var value) ? value : null;

    public int? GetInt(string key) =>
        _parameters.TryGetValue(key, out var value)
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new FormatException($"Emulator fault parameter '{key}={value}' in '{Text}' is not an integer.")
            : null;

    public long? GetLong(string key) =>
        _parameters.TryGetValue(key, out var value)
            ? long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new FormatException($"Emulator fault parameter '{key}={value}' in '{Text}' is not an integer.")
            : null;

    /// <summary>Comma-separated indexes, e.g. <c>indexes=0,2</c>.</summary>
    public IReadOnlySet<int> GetIndexes(string key)
    {
        var value = GetString(key);
        if (string.IsNullOrEmpty(value))
        {
            return new HashSet<int>();
        }

        return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(item => int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index)
                ? index
                : throw new FormatException($"Emulator fault index '{item}' in '{Text}' is not an integer."))
            .ToHashSet();
    }

    public override string ToString() => Text;
}
