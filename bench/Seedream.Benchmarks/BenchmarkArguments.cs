using System.Globalization;

namespace Seedream.Benchmarks;

/// <summary><c>--name value</c> pairs after the command name.</summary>
internal sealed class BenchmarkArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchmarkArguments(IReadOnlyList<string> arguments)
    {
        for (var i = 0; i < arguments.Count; i += 2)
        {
            if (!arguments[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= arguments.Count)
            {
                throw new ArgumentException($"Expected '--name value' pairs, got '{string.Join(' ', arguments)}'.");
            }

            _values[arguments[i][2..]] = arguments[i + 1];
        }
    }

    public string Text(string name, string defaultValue) => _values.GetValueOrDefault(name, defaultValue);

    public string? OptionalText(string name) => _values.GetValueOrDefault(name);

    public string RequiredText(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

    public int Integer(string name, int defaultValue) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : defaultValue;

    public double Number(string name, double defaultValue) =>
        _values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : defaultValue;

    public IReadOnlyList<string> List(string name, string defaultValue) =>
        Text(name, defaultValue).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<int> Integers(string name, string defaultValue) =>
        List(name, defaultValue).Select(value => int.Parse(value, CultureInfo.InvariantCulture)).ToArray();
}
