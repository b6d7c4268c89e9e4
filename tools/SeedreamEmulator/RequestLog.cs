using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SeedreamEmulator;

/// <summary>One request the emulator received. The API key and data-URI payloads are never kept.</summary>
public sealed record ReceivedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    string? Body,
    DateTimeOffset ReceivedAt,
    int ResponseStatus,
    string? Fault);

/// <summary>Thread-safe log of received requests (all routes except the control plane).</summary>
internal sealed class RequestLog
{
    private const int DataUriKeptChars = 48;

    // Long benchmark and soak runs must not grow the log without bound; tests look at far fewer.
    private const int MaxEntries = 10_000;
    private static readonly string[] SecretHeaders = ["Authorization", "Api-Key", "X-Api-Key"];

    private readonly Lock _gate = new();
    private readonly Queue<Entry> _entries = new();

    /// <summary>Mutable while its request runs; snapshots copy it.</summary>
    internal sealed class Entry
    {
        public required string Method { get; init; }
        public required string Path { get; init; }
        public required IReadOnlyDictionary<string, string> Headers { get; init; }
        public required DateTimeOffset ReceivedAt { get; init; }
        public string? Body { get; set; }
        public int ResponseStatus { get; set; }
        public bool NoResponse { get; set; }
        public string? Fault { get; set; }

        public ReceivedRequest ToRecord() => new(Method, Path, Headers, Body, ReceivedAt, NoResponse ? 0 : ResponseStatus, Fault);
    }

    public Entry Add(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = SecretHeaders.Contains(name, StringComparer.OrdinalIgnoreCase) ? Redact(values.ToString()) : values.ToString();
        }

        var entry = new Entry
        {
            Method = request.Method,
            Path = request.Path + request.QueryString,
            Headers = headers,
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        lock (_gate)
        {
            if (_entries.Count == MaxEntries)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(entry);
        }

        return entry;
    }

    public IReadOnlyList<ReceivedRequest> Snapshot()
    {
        lock (_gate)
        {
            return _entries.Select(entry => entry.ToRecord()).ToList();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    /// <summary>The body as JSON text with every data-URI string shortened to its prefix.</summary>
    public static string ElideDataUris(JsonElement body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteElided(writer, body);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteElided(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteElided(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteElided(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String when element.GetString() is { } text && text.StartsWith("data:", StringComparison.OrdinalIgnoreCase):
                var comma = text.IndexOf(',', StringComparison.Ordinal);
                var keep = comma >= 0 ? Math.Min(comma + 1, DataUriKeptChars) : Math.Min(text.Length, DataUriKeptChars);
                writer.WriteStringValue($"{text[..keep]}…({text.Length - keep} chars elided)");
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static string Redact(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? value[..space] + " [redacted]" : "[redacted]";
    }
}
