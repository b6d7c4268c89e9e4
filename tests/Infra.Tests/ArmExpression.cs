using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

/// <summary>
/// Evaluates the subset of ARM template expressions Bicep emits for names, scopes and settings, so tests can assert
/// on values ("inbox-events") instead of on expression text. Values known only at deployment time (uniqueString,
/// reference, union, ...) evaluate to readable placeholders: <c>reference(type(name)).principalId</c>,
/// <c>Microsoft.Storage/storageAccounts(st⟨…⟩)</c>, <c>⟨toLower(…)⟩</c>.
/// </summary>
internal sealed class ArmExpression
{
    private readonly string _text;
    private readonly ArmTemplateScope _scope;
    private readonly int? _copyIndex;
    private int _position;

    private ArmExpression(string text, ArmTemplateScope scope, int? copyIndex)
    {
        _text = text;
        _scope = scope;
        _copyIndex = copyIndex;
    }

    /// <summary>Evaluates every expression string inside <paramref name="value"/> (objects and arrays recursively).</summary>
    public static JsonNode? Evaluate(JsonNode? value, ArmTemplateScope scope, int? copyIndex = null) => value switch
    {
        JsonObject obj => new JsonObject(obj.Select(property =>
            KeyValuePair.Create(property.Key, Evaluate(property.Value, scope, copyIndex)))),
        JsonArray array => new JsonArray(array.Select(item => Evaluate(item, scope, copyIndex)).ToArray()),
        JsonValue scalar when scalar.TryGetValue(out string? text) => EvaluateString(text, scope, copyIndex),
        _ => value?.DeepClone(),
    };

    /// <summary>The string form used by <c>format()</c> and by the tests' assertions.</summary>
    public static string AsString(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue scalar when scalar.TryGetValue(out string? text) => text,
        JsonValue scalar => scalar.ToJsonString(),
        _ => value.ToJsonString(),
    };

    private static JsonNode? EvaluateString(string text, ArmTemplateScope scope, int? copyIndex)
    {
        if (!text.StartsWith('[') || !text.EndsWith(']'))
        {
            return JsonValue.Create(text);
        }

        if (text.StartsWith("[[", StringComparison.Ordinal))
        {
            return JsonValue.Create(text[1..]); // an escaped literal starting with '['
        }

        var expression = new ArmExpression(text[1..^1], scope, copyIndex);
        var result = expression.ParseExpression();
        expression.SkipWhitespace();
        if (expression._position != expression._text.Length)
        {
            throw new FormatException($"Unexpected text at {expression._position} in '{text}'.");
        }

        return result;
    }

    private JsonNode? ParseExpression()
    {
        SkipWhitespace();
        var start = _position;
        var value = ParsePrimary();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('.'))
            {
                var property = ReadIdentifier();
                value = value is JsonObject obj ? obj[property]?.DeepClone() : JsonValue.Create($"{AsString(value)}.{property}");
            }
            else if (TryConsume('['))
            {
                var index = ParseExpression();
                Expect(']');
                value = value is JsonArray array && index is JsonValue number && number.TryGetValue(out int position)
                    ? array[position]?.DeepClone()
                    : Opaque(start);
            }
            else
            {
                return value;
            }
        }
    }

    private JsonNode? ParsePrimary()
    {
        SkipWhitespace();
        var current = _text[_position];
        if (current == '\'')
        {
            return JsonValue.Create(ReadStringLiteral());
        }

        if (char.IsDigit(current) || current == '-')
        {
            var start = _position++;
            while (_position < _text.Length && char.IsDigit(_text[_position]))
            {
                _position++;
            }

            return JsonValue.Create(int.Parse(_text[start.._position], CultureInfo.InvariantCulture));
        }

        var callStart = _position;
        var name = ReadIdentifier();
        Expect('(');
        var arguments = new List<JsonNode?>();
        SkipWhitespace();
        if (!TryConsume(')'))
        {
            do
            {
                arguments.Add(ParseExpression());
                SkipWhitespace();
            }
            while (TryConsume(','));
            Expect(')');
        }

        return Call(name, arguments, callStart);
    }

    private JsonNode? Call(string name, List<JsonNode?> arguments, int callStart)
    {
        switch (name)
        {
            case "parameters":
                return _scope.ParameterValue(AsString(arguments[0]));
            case "variables":
                return _scope.VariableValue(AsString(arguments[0]));
            case "copyIndex" when _copyIndex is int index && arguments.Count == 0:
                return JsonValue.Create(index);
            case "length" when arguments[0] is JsonArray array:
                return JsonValue.Create(array.Count);
            case "format":
                return JsonValue.Create(Format(AsString(arguments[0]), arguments.Skip(1).ToList()));
            case "createObject":
                return new JsonObject(arguments.Chunk(2).Select(pair =>
                    KeyValuePair.Create(AsString(pair[0]), pair[1]?.DeepClone())));
            case "union" when arguments.All(argument => argument is JsonObject):
                var merged = new JsonObject();
                foreach (var property in arguments.SelectMany(argument => argument!.AsObject()))
                {
                    merged[property.Key] = property.Value?.DeepClone();
                }

                return merged;
            case "createArray":
                return new JsonArray(arguments.Select(argument => argument?.DeepClone()).ToArray());
            case "resourceId" or "subscriptionResourceId":
                return JsonValue.Create(ResourceId(arguments));
            case "reference":
                return JsonValue.Create($"reference({_scope.ResolveSymbolicReference(AsString(arguments[0]))})");
            case "add" or "sub" or "mul" or "div" or "min" or "max" when arguments.Count >= 2 && arguments.All(IsInteger):
                // Parsed from text, so the result reads as int or long alike, as values from the template do.
                return JsonNode.Parse(Arithmetic(name, arguments.Select(AsInteger).ToList()).ToString(CultureInfo.InvariantCulture));
            case "string" when arguments.Count == 1 && IsInteger(arguments[0]):
                return JsonValue.Create(AsInteger(arguments[0]).ToString(CultureInfo.InvariantCulture));
            default:
                return Opaque(callStart);
        }
    }

    private static bool IsInteger(JsonNode? node) => node is JsonValue value && (value.TryGetValue<long>(out _) || value.TryGetValue<int>(out _));

    private static long AsInteger(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : node!.GetValue<int>();

    /// <summary>ARM's integer functions (Bicep's + - * / and min/max compile to them); div truncates as ARM does.</summary>
    private static long Arithmetic(string name, List<long> values) => name switch
    {
        "add" => values[0] + values[1],
        "sub" => values[0] - values[1],
        "mul" => values[0] * values[1],
        "div" => values[0] / values[1],
        "min" => values.Min(),
        _ => values.Max(),
    };

    private static string ResourceId(List<JsonNode?> arguments)
    {
        var type = AsString(arguments[0]);
        var names = arguments.Skip(1).Select(AsString);
        return $"{type}({string.Join('/', names)})";
    }

    private static string Format(string format, List<JsonNode?> arguments)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '{' && format.IndexOf('}', i) is var end and > 0
                && int.TryParse(format.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                builder.Append(AsString(arguments[index]));
                i = end;
            }
            else
            {
                builder.Append(format[i]);
            }
        }

        return builder.ToString();
    }

    /// <summary>A deployment-time value: the expression text, marked so it cannot be mistaken for a literal.</summary>
    // Inside a copy loop the same text means a different value per copy: the copy index is part of what it stands for.
    private JsonValue Opaque(int start) =>
        JsonValue.Create(_copyIndex is int index && _text[start.._position].Contains("copyIndex()", StringComparison.Ordinal)
            ? $"⟨{_text[start.._position]}⟩[copy {index}]"
            : $"⟨{_text[start.._position]}⟩");

    private string ReadStringLiteral()
    {
        Expect('\'');
        var builder = new StringBuilder();
        while (true)
        {
            var next = _text[_position++];
            if (next == '\'')
            {
                if (_position < _text.Length && _text[_position] == '\'')
                {
                    builder.Append('\'');
                    _position++;
                    continue;
                }

                return builder.ToString();
            }

            builder.Append(next);
        }
    }

    private string ReadIdentifier()
    {
        SkipWhitespace();
        var start = _position;
        while (_position < _text.Length && (char.IsLetterOrDigit(_text[_position]) || _text[_position] == '_'))
        {
            _position++;
        }

        if (start == _position)
        {
            throw new FormatException($"Identifier expected at {start} in '{_text}'.");
        }

        return _text[start.._position];
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    private bool TryConsume(char expected)
    {
        SkipWhitespace();
        if (_position < _text.Length && _text[_position] == expected)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void Expect(char expected)
    {
        if (!TryConsume(expected))
        {
            throw new FormatException($"'{expected}' expected at {_position} in '{_text}'.");
        }
    }
}
