using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Seedream.Functions.Intake;

/// <summary>
/// Reads a body as JSON under rules stricter than System.Text.Json's defaults, naming the field of every problem:
/// strict UTF-8 (invalid or overlong sequences are errors, never replaced), no UTF-16/UTF-32 bodies, no unpaired
/// surrogates in any string or key (escaped <c>\ud800</c> included, which would otherwise fail deep inside a serializer),
/// no duplicate keys, no comments or trailing commas, and a depth limit. Only a body that passes is parsed into nodes.
/// </summary>
public static class StrictJsonReader
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>The root object, or null with the problems added to <paramref name="problems"/>.</summary>
    public static JsonObject? Read(ReadOnlySpan<byte> body, int maxDepth, IntakeProblems problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (body.StartsWith(Utf8Bom))
        {
            // RFC 8259 §8.1 lets parsers ignore a UTF-8 BOM; Windows tools add one.
            body = body[Utf8Bom.Length..];
        }

        if (body.IsEmpty || body.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            problems.Add(IntakeProblems.Root, "The body is empty; send a JSON object.");
            return null;
        }

        if (body.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || body.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || (body.Length >= 2 && (body[0] == 0 || body[1] == 0)))
        {
            problems.Add(IntakeProblems.Root, "The body must be UTF-8 JSON; it looks like UTF-16 or UTF-32.");
            return null;
        }

        if (!Utf8.IsValid(body))
        {
            problems.Add(IntakeProblems.Root, $"The body is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(body)}); invalid bytes are refused, not replaced.");
            return null;
        }

        if (!Walk(body, maxDepth, problems))
        {
            return null;
        }

        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth + 2 });
        if (root is not JsonObject obj)
        {
            problems.Add(IntakeProblems.Root, $"The body must be a JSON object, not {Describe(root)}.");
            return null;
        }

        return obj;
    }

    private static bool Walk(ReadOnlySpan<byte> body, int maxDepth, IntakeProblems problems)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth + 2, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        var frames = new List<Frame>();
        var before = problems.Count;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        AdvanceArray(frames);
                        var path = ValuePath(frames);
                        if (frames.Count >= maxDepth)
                        {
                            problems.Add(path, $"The value is nested deeper than {maxDepth} levels.");
                            return false;
                        }

                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartObject, path));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        CompleteValue(frames);
                        break;
                    case JsonTokenType.PropertyName:
                        var frame = frames[^1];
                        var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                        if (reader.ValueIsEscaped && LoneSurrogate(reader.ValueSpan) is { } badKey)
                        {
                            frame.Property = raw;
                            problems.Add(ChildPath(frame.Path, raw), $"The key contains an unpaired UTF-16 surrogate ({badKey}); keys and strings must be valid Unicode.");
                            break;
                        }

                        var name = reader.GetString()!;
                        frame.Property = name;
                        if (!frame.Keys!.Add(name))
                        {
                            problems.Add(ChildPath(frame.Path, name), "The key appears more than once in the same object; which value counts would be undefined.");
                        }

                        break;
                    case JsonTokenType.String:
                        AdvanceArray(frames);
                        var stringPath = ValuePath(frames);
                        if (reader.ValueIsEscaped && LoneSurrogate(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan) is { } bad)
                        {
                            problems.Add(stringPath, $"The string contains an unpaired UTF-16 surrogate ({bad}); strings must be valid Unicode.");
                        }

                        CompleteValue(frames);
                        break;
                    default:
                        AdvanceArray(frames);
                        CompleteValue(frames);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var position = (e.BytePositionInLine ?? 0) + 1;
            // A body that simply ends too early is at fault as a whole; elsewhere the field where reading broke is named.
            var truncated = body[(int)Math.Min(reader.BytesConsumed, body.Length)..].IndexOfAnyExcept(" \t\r\n"u8) < 0;
            problems.Add(frames.Count == 0 || truncated ? IntakeProblems.Root : ValuePath(frames),
                $"The body is not valid JSON (line {line.ToString(CultureInfo.InvariantCulture)}, byte {position.ToString(CultureInfo.InvariantCulture)}): {FirstSentence(e.Message)} Comments, trailing commas, NaN and single quotes are not JSON.");
            return false;
        }

        return problems.Count == before;
    }

    /// <summary>The path of the value about to be read: the pending property of an object, the next index of an array.</summary>
    private static string ValuePath(List<Frame> frames)
    {
        if (frames.Count == 0)
        {
            return IntakeProblems.Root;
        }

        var frame = frames[^1];
        return frame.IsObject ? ChildPath(frame.Path, frame.Property ?? string.Empty) : $"{frame.Path}[{frame.Index.ToString(CultureInfo.InvariantCulture)}]";
    }

    private static void AdvanceArray(List<Frame> frames)
    {
        if (frames.Count > 0 && !frames[^1].IsObject)
        {
            frames[^1].Index++;
        }
    }

    private static void CompleteValue(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsObject)
        {
            frames[^1].Property = null;
        }
    }

    private static string ChildPath(string parent, string name) => parent == IntakeProblems.Root ? name : $"{parent}.{name}";

    /// <summary>The first <c>\uXXXX</c> escape that is a surrogate without its partner, as written; null when there is none.</summary>
    internal static string? LoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        for (var i = 0; i < escaped.Length - 1; i++)
        {
            if (escaped[i] != '\\')
            {
                continue;
            }

            if (escaped[i + 1] != 'u')
            {
                i++;
                continue;
            }

            if (!TryHex(escaped, i + 2, out var unit))
            {
                return null;
            }

            if (char.IsHighSurrogate((char)unit))
            {
                if (i + 11 < escaped.Length && escaped[i + 6] == '\\' && escaped[i + 7] == 'u' && TryHex(escaped, i + 8, out var next) && char.IsLowSurrogate((char)next))
                {
                    i += 11;
                    continue;
                }

                return Encoding.UTF8.GetString(escaped.Slice(i, 6));
            }

            if (char.IsLowSurrogate((char)unit))
            {
                return Encoding.UTF8.GetString(escaped.Slice(i, 6));
            }

            i += 5;
        }

        return null;
    }

    private static bool TryHex(ReadOnlySpan<byte> bytes, int start, out int value)
    {
        value = 0;
        return start + 4 <= bytes.Length
            && int.TryParse(Encoding.ASCII.GetString(bytes.Slice(start, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        var buffer = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            var offset = 0;
            while (offset < body.Length)
            {
                var status = Utf8.ToUtf16(body[offset..], buffer, out var read, out _, replaceInvalidSequences: false, isFinalBlock: true);
                offset += read;
                if (status is System.Buffers.OperationStatus.InvalidData or System.Buffers.OperationStatus.NeedMoreData)
                {
                    return offset;
                }

                if (status == System.Buffers.OperationStatus.Done)
                {
                    break;
                }
            }

            return offset;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
        _ => "this value",
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        end = end > 0 ? end : message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = end > 0 ? message[..end] : message;
        return LogText.Cut(text, 200);
    }

    private sealed class Frame(bool isObject, string path)
    {
        public bool IsObject { get; } = isObject;

        public string Path { get; } = path;

        public HashSet<string>? Keys { get; } = isObject ? new(StringComparer.Ordinal) : null;

        public string? Property { get; set; }

        public int Index { get; set; } = -1;
    }
}
