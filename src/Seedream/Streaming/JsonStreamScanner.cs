using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Seedream.Streaming;

internal enum JsonToken
{
    EndOfInput,
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    PropertyName,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>
/// An incremental JSON tokenizer over a <see cref="BodyReader"/>. Utf8JsonReader cannot hand out part of a string
/// token, so this scanner can also stream one string value's characters (a <c>b64_json</c> image of tens of MB) and
/// skip values of any size, both through the fixed window. Other strings are bounded by
/// <see cref="MaxMaterializedStringBytes"/>. Separators (<c>,</c> <c>:</c>) are consumed leniently: the callers
/// interpret a known document shape and do not need a grammar check.
/// </summary>
internal sealed class JsonStreamScanner
{
    /// <summary>Longest string value that is turned into a .NET string (URLs, messages, sizes).</summary>
    public const int MaxMaterializedStringBytes = 1024 * 1024;

    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> SkipStopBytes = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ScalarEnd = SearchValues.Create(",}] \t\r\n"u8);

    private readonly BodyReader _reader;
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private bool _inStreamedString;

    public JsonStreamScanner(BodyReader reader)
    {
        _reader = reader;
    }

    /// <summary>The text of the last PropertyName or String token.</summary>
    public string StringValue { get; private set; } = string.Empty;

    /// <summary>The raw text of the last Number token.</summary>
    public string NumberText { get; private set; } = string.Empty;

    public async ValueTask<JsonToken> ReadAsync(CancellationToken cancellationToken)
    {
        var next = await PeekSignificantAsync(cancellationToken).ConfigureAwait(false);
        if (next < 0)
        {
            return JsonToken.EndOfInput;
        }

        switch ((byte)next)
        {
            case (byte)'{':
                _reader.Advance(1);
                return JsonToken.StartObject;
            case (byte)'}':
                _reader.Advance(1);
                return JsonToken.EndObject;
            case (byte)'[':
                _reader.Advance(1);
                return JsonToken.StartArray;
            case (byte)']':
                _reader.Advance(1);
                return JsonToken.EndArray;
            case (byte)'"':
                StringValue = await ReadMaterializedStringAsync(cancellationToken).ConfigureAwait(false);
                var after = await PeekSignificantAsync(cancellationToken, skipSeparators: false).ConfigureAwait(false);
                if (after == ':')
                {
                    _reader.Advance(1);
                    return JsonToken.PropertyName;
                }

                return JsonToken.String;
            case (byte)'t':
                await ExpectLiteralAsync("true", cancellationToken).ConfigureAwait(false);
                return JsonToken.True;
            case (byte)'f':
                await ExpectLiteralAsync("false", cancellationToken).ConfigureAwait(false);
                return JsonToken.False;
            case (byte)'n':
                await ExpectLiteralAsync("null", cancellationToken).ConfigureAwait(false);
                return JsonToken.Null;
            case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                NumberText = await ReadScalarAsync(cancellationToken).ConfigureAwait(false);
                return JsonToken.Number;
            default:
                throw _reader.Invalid($"unexpected character '{(char)next}'");
        }
    }

    /// <summary>Reads the next token and returns its string, or null for JSON null; other tokens are skipped and give null.</summary>
    public async ValueTask<string?> ReadStringAsync(CancellationToken cancellationToken)
    {
        var token = await ReadValueStartAsync(cancellationToken).ConfigureAwait(false);
        return token switch
        {
            JsonToken.String => StringValue,
            JsonToken.Number => NumberText,
            _ => null,
        };
    }

    public async ValueTask<long?> ReadInt64Async(CancellationToken cancellationToken)
    {
        var token = await ReadValueStartAsync(cancellationToken).ConfigureAwait(false);
        var text = token switch
        {
            JsonToken.Number => NumberText,
            JsonToken.String => StringValue,
            _ => null,
        };
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? (long)real : null;
    }

    /// <summary>
    /// Positions the scanner inside the next value, a string, so its characters can be streamed with
    /// <see cref="ReadStringBytesAsync"/>. False (value consumed) when the value is null or not a string.
    /// </summary>
    public async ValueTask<bool> BeginStreamedStringAsync(CancellationToken cancellationToken)
    {
        var next = await PeekSignificantAsync(cancellationToken).ConfigureAwait(false);
        if (next < 0)
        {
            throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
        }

        if (next != '"')
        {
            await SkipValueAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        _reader.Advance(1);
        _inStreamedString = true;
        return true;
    }

    /// <summary>
    /// Copies the next unescaped bytes of the current streamed string into <paramref name="destination"/>; 0 once the
    /// closing quote was consumed. Escapes (<c>\/</c>, <c>\u002B</c>, …) are decoded; non-ASCII escapes become 0xFF,
    /// which no ASCII-only consumer (base64) accepts.
    /// </summary>
    public async ValueTask<int> ReadStringBytesAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!_inStreamedString)
        {
            return 0;
        }

        var written = 0;
        while (written < destination.Length)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside a string value");
            }

            var buffered = _reader.Buffered;
            var stop = buffered.IndexOfAny(QuoteOrBackslash);
            var plain = stop < 0 ? buffered.Length : stop;
            var count = Math.Min(plain, destination.Length - written);
            if (count > 0)
            {
                buffered[..count].CopyTo(destination.Span[written..]);
                written += count;
                _reader.Advance(count);
                continue;
            }

            if (buffered[0] == '"')
            {
                _reader.Advance(1);
                _inStreamedString = false;
                return written;
            }

            // A backslash: make the whole escape available (at most \uXXXX), then decode it.
            if (!await _reader.EnsureAsync(2, cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated("the body ended inside a string escape");
            }

            var escaped = _reader.Buffered[1];
            if (escaped == 'u')
            {
                if (!await _reader.EnsureAsync(6, cancellationToken).ConfigureAwait(false))
                {
                    throw BodyReader.Truncated("the body ended inside a string escape");
                }

                if (!Utf8Parser.TryParse(_reader.Buffered.Slice(2, 4), out ushort code, out var consumed, 'X') || consumed != 4)
                {
                    throw _reader.Invalid("invalid \\u escape");
                }

                destination.Span[written++] = code < 0x80 ? (byte)code : (byte)0xFF;
                _reader.Advance(6);
                continue;
            }

            destination.Span[written++] = escaped switch
            {
                (byte)'"' or (byte)'\\' or (byte)'/' => escaped,
                (byte)'b' => (byte)'\b',
                (byte)'f' => (byte)'\f',
                (byte)'n' => (byte)'\n',
                (byte)'r' => (byte)'\r',
                (byte)'t' => (byte)'\t',
                _ => throw _reader.Invalid($"invalid escape '\\{(char)escaped}'"),
            };
            _reader.Advance(2);
        }

        return written;
    }

    /// <summary>Consumes the rest of the current streamed string, if any, without keeping it.</summary>
    public async ValueTask SkipStreamedStringAsync(CancellationToken cancellationToken)
    {
        if (_inStreamedString)
        {
            await SkipStringBodyAsync(cancellationToken).ConfigureAwait(false);
            _inStreamedString = false;
        }
    }

    /// <summary>Skips the next value of any size (object, array, string, scalar) through the window.</summary>
    public async ValueTask SkipValueAsync(CancellationToken cancellationToken)
    {
        var next = await PeekSignificantAsync(cancellationToken).ConfigureAwait(false);
        if (next < 0)
        {
            throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
        }

        if (next == '"')
        {
            _reader.Advance(1);
            await SkipStringBodyAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (next != '{' && next != '[')
        {
            if (next is '}' or ']')
            {
                throw _reader.Invalid("a value was expected");
            }

            await ReadScalarAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        _reader.Advance(1);
        var depth = 1;
        while (depth > 0)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
            }

            var buffered = _reader.Buffered;
            var stop = buffered.IndexOfAny(SkipStopBytes);
            if (stop < 0)
            {
                _reader.Advance(buffered.Length);
                continue;
            }

            var c = buffered[stop];
            _reader.Advance(stop + 1);
            switch (c)
            {
                case (byte)'"':
                    await SkipStringBodyAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case (byte)'{' or (byte)'[':
                    depth++;
                    break;
                default:
                    depth--;
                    break;
            }
        }
    }

    /// <summary>Skips whitespace (and separators) and returns the next byte without consuming it; -1 at the end.</summary>
    public async ValueTask<int> PeekSignificantAsync(CancellationToken cancellationToken, bool skipSeparators = true)
    {
        while (true)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return -1;
            }

            var buffered = _reader.Buffered;
            var skip = skipSeparators ? buffered.IndexOfAnyExcept(" \t\r\n,:"u8) : buffered.IndexOfAnyExcept(" \t\r\n"u8);
            if (skip < 0)
            {
                _reader.Advance(buffered.Length);
                continue;
            }

            _reader.Advance(skip);
            return _reader.Buffered[0];
        }
    }

    private async ValueTask<JsonToken> ReadValueStartAsync(CancellationToken cancellationToken)
    {
        var token = await ReadAsync(cancellationToken).ConfigureAwait(false);
        switch (token)
        {
            case JsonToken.StartObject or JsonToken.StartArray:
                await SkipRestOfContainerAsync(cancellationToken).ConfigureAwait(false);
                break;
            case JsonToken.EndOfInput:
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
        }

        return token;
    }

    /// <summary>Skips to the end of the container whose start token was just read.</summary>
    public async ValueTask SkipRestOfContainerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = await PeekSignificantAsync(cancellationToken).ConfigureAwait(false);
            if (next < 0)
            {
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
            }

            if (next is '}' or ']')
            {
                _reader.Advance(1);
                return;
            }

            // A property name is a string followed by ':'; skipping it as a value is equivalent.
            await SkipValueAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SkipStringBodyAsync(CancellationToken cancellationToken)
    {
        var escaped = false;
        while (true)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside a string value");
            }

            var buffered = _reader.Buffered;
            var index = 0;
            if (escaped)
            {
                escaped = false;
                index = 1;
            }

            var stop = buffered[index..].IndexOfAny(QuoteOrBackslash);
            if (stop < 0)
            {
                _reader.Advance(buffered.Length);
                continue;
            }

            stop += index;
            if (buffered[stop] == '"')
            {
                _reader.Advance(stop + 1);
                return;
            }

            // Backslash: the next byte is escaped whatever it is (it may be in the next window).
            if (stop + 1 < buffered.Length)
            {
                _reader.Advance(stop + 2);
            }
            else
            {
                _reader.Advance(stop + 1);
                escaped = true;
            }
        }
    }

    private async ValueTask<string> ReadMaterializedStringAsync(CancellationToken cancellationToken)
    {
        _scratch.ResetWrittenCount();
        _scratch.Write("\""u8);
        _reader.Advance(1);
        var hasEscapes = false;
        while (true)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside a string value");
            }

            var buffered = _reader.Buffered;
            var stop = buffered.IndexOfAny(QuoteOrBackslash);
            var count = stop < 0 ? buffered.Length : stop;
            if (_scratch.WrittenCount + count > MaxMaterializedStringBytes)
            {
                throw _reader.Invalid($"a string value is longer than {MaxMaterializedStringBytes} bytes where a short one was expected");
            }

            _scratch.Write(buffered[..count]);
            _reader.Advance(count);
            if (stop < 0)
            {
                continue;
            }

            if (buffered[stop] == '"')
            {
                _reader.Advance(1);
                break;
            }

            if (!await _reader.EnsureAsync(2, cancellationToken).ConfigureAwait(false))
            {
                throw BodyReader.Truncated("the body ended inside a string escape");
            }

            hasEscapes = true;
            _scratch.Write(_reader.Buffered[..2]);
            _reader.Advance(2);
        }

        _scratch.Write("\""u8);
        var quoted = _scratch.WrittenSpan;
        if (!hasEscapes)
        {
            return Encoding.UTF8.GetString(quoted[1..^1]);
        }

        try
        {
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            return reader.GetString() ?? string.Empty;
        }
        catch (JsonException ex)
        {
            throw _reader.Invalid("invalid string: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw _reader.Invalid("invalid string: " + ex.Message);
        }
    }

    private async ValueTask<string> ReadScalarAsync(CancellationToken cancellationToken)
    {
        _scratch.ResetWrittenCount();
        while (true)
        {
            if (_reader.BufferedCount == 0 && !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            var buffered = _reader.Buffered;
            var end = buffered.IndexOfAny(ScalarEnd);
            var count = end < 0 ? buffered.Length : end;
            if (_scratch.WrittenCount + count > 256)
            {
                throw _reader.Invalid("a number or literal is too long");
            }

            _scratch.Write(buffered[..count]);
            _reader.Advance(count);
            if (end >= 0)
            {
                break;
            }
        }

        return Encoding.UTF8.GetString(_scratch.WrittenSpan);
    }

    private async ValueTask ExpectLiteralAsync(string literal, CancellationToken cancellationToken)
    {
        var text = await ReadScalarAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(text, literal, StringComparison.Ordinal))
        {
            throw _reader.Invalid($"unexpected literal '{text}'");
        }
    }
}
