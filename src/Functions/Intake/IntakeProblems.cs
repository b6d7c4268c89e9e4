namespace Seedream.Functions.Intake;

/// <summary>Where a submission came from; each entry point says no in its own way, the rules are the same.</summary>
public enum IntakeOrigin
{
    /// <summary><c>POST /api/generations</c>: problems become a 400 problem+json.</summary>
    Http,

    /// <summary>A producer's message on <c>generation-requests</c>: problems become a failed job and its Failed event.</summary>
    Queue,

    /// <summary>A JSON or image drop in the inbox: problems become a failed job, its Failed event and a mark on the blob.</summary>
    Drop,
}

/// <summary>Every problem of one submission, keyed by the path of the field at fault (<c>size</c>, <c>image[1]</c>, <c>metadata.color</c>, <c>$</c>).</summary>
public sealed class IntakeProblems
{
    /// <summary>The body itself (not JSON, not UTF-8, not an object).</summary>
    public const string Root = "$";

    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public int Count => _byField.Count;

    public bool IsEmpty => _byField.Count == 0;

    public IEnumerable<string> Fields => _byField.Keys;

    public bool Has(string field) => _byField.ContainsKey(field);

    public bool HasUnder(string field) => _byField.Keys.Any(key => key == field || key.StartsWith(field + "[", StringComparison.Ordinal) || key.StartsWith(field + ".", StringComparison.Ordinal));

    public void Add(string field, string message)
    {
        field = string.IsNullOrEmpty(field) ? Root : field;
        if (!_byField.TryGetValue(field, out var messages))
        {
            _byField[field] = messages = [];
        }

        if (!messages.Contains(message, StringComparer.Ordinal))
        {
            messages.Add(message);
        }
    }

    /// <summary>Replaces what is known about a field with a better explanation (a reference's own problem beats the validator's view of it).</summary>
    public void Replace(string field, string message) => _byField[field] = [message];

    public IReadOnlyDictionary<string, string[]> ToDictionary() => _byField.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>One line for logs and blob marks: "size: …; image[1]: …", each value cut to a sane length.</summary>
    public string Summary(int maxLength = 1024)
    {
        var text = string.Join("; ", _byField.Select(e => $"{LogText.Cut(e.Key, 64)}: {string.Join(" ", e.Value)}"));
        return LogText.Cut(text, maxLength);
    }
}

/// <summary>Values that reach log lines are cut: a 10k-character model name must not be echoed.</summary>
public static class LogText
{
    public const int DefaultLength = 80;

    public static string Cut(string? value, int maxLength = DefaultLength)
    {
        if (value is null)
        {
            return "(none)";
        }

        var text = value.Length <= maxLength ? value : string.Concat(value.AsSpan(0, maxLength), $"…(+{value.Length - maxLength} chars)");
        // One log line per event: control characters (line breaks included) would forge or split lines.
        return text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? '·' : c)) : text;
    }
}
