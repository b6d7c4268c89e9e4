using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream.Functions;

/// <summary>
/// The small message that points the queue function at an existing job: <c>{"id":…,"traceparent":…}</c>.
/// Jobs submitted over HTTP keep their request in the job record because queue messages are limited to 64 KB.
/// </summary>
public sealed record JobReferenceMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("traceparent")] string? TraceParent)
{
    public string ToJson() => JsonSerializer.Serialize(this, ReferenceJson);

    /// <summary>True for an object holding a string <c>id</c> and nothing else besides <c>traceparent</c>.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> text, out JobReferenceMessage message)
    {
        message = null!;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !SubmissionIntake.JobIdPattern().IsMatch(id.GetString()!))
            {
                return false;
            }

            string? traceParent = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("traceparent") && property.Value.ValueKind == JsonValueKind.String)
                {
                    traceParent = property.Value.GetString();
                }
                else if (!property.NameEquals("id"))
                {
                    return false;
                }
            }

            message = new JobReferenceMessage(id.GetString()!, traceParent);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, or a string the reader cannot decode (an unpaired surrogate): not a reference; the intake words why.
            return false;
        }
    }

    private static readonly JsonSerializerOptions ReferenceJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
}

/// <summary>Producer side of the <c>generation-requests</c> queue (base64 messages, see <see cref="PipelineQueueEncoding"/>).</summary>
public class GenerationQueue
{
    // Azure Queue Storage caps the initial invisibility at seven days.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    private readonly PipelineStorage _storage;

    public GenerationQueue(PipelineStorage storage) => _storage = storage;

    /// <summary>Enqueues a reference to <paramref name="jobId"/>, visible after <paramref name="delay"/>.</summary>
    public virtual async Task EnqueueAsync(string jobId, string? traceParent, TimeSpan? delay, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var visibility = delay is { } d ? TimeSpan.FromSeconds(Math.Ceiling(Math.Clamp(d.TotalSeconds, 0, MaxDelay.TotalSeconds))) : (TimeSpan?)null;
        await _storage.GenerationRequests.SendMessageAsync(new JobReferenceMessage(jobId, traceParent).ToJson(), visibility, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
