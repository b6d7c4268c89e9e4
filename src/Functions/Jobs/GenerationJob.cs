using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Seedream.Functions.Batches;
using Seedream.Functions.Drops;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Jobs;

/// <summary>Where the paid Seedream call stands; decides what a (re)delivery may do without paying twice.</summary>
public enum GenerationPhase
{
    /// <summary>Nothing was sent; a delivery may call Seedream.</summary>
    NotStarted,

    /// <summary>A worker holding the lease is calling Seedream; if the lease expires here the outcome is unknown.</summary>
    Requested,

    /// <summary>Seedream answered; <see cref="GenerationJob.Answer"/> holds what it returned.</summary>
    Answered,
}

/// <summary>The job record, blob <c>{id}.json</c> in the jobs container, updated with ETag conditions.</summary>
public sealed class GenerationJob
{
    /// <summary>
    /// The shape written by this version. 2: <see cref="Request"/> is the typed request (still the snake_case JSON sent
    /// to Seedream, so version 1 records, which carried it as a raw JSON element and no version, read unchanged).
    /// </summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>Stamped by <see cref="JobStore"/> on every write; 0 when read from a record written before versions existed (1).</summary>
    public int SchemaVersion { get; set; }

    public required string Id { get; set; }

    /// <summary>The status; <see cref="JobStatus.Unknown"/> when the record names one this version does not know.</summary>
    [JsonIgnore]
    public JobStatus Status
    {
        get => _status;
        set
        {
            _status = value;
            _unknownStatusName = null;
        }
    }

    /// <summary>The status as written in the record (<c>status</c>): a name this version does not know is kept as it is.</summary>
    [JsonPropertyName("status")]
    public string StatusName
    {
        get => _unknownStatusName ?? JobOutcomes.Of(_status).Name;
        set
        {
            var outcome = JobOutcomes.Of(value);
            _status = outcome.Status;
            _unknownStatusName = outcome.Status == JobStatus.Unknown ? value : null;
        }
    }

    private JobStatus _status;
    private string? _unknownStatusName;

    /// <summary><c>http</c>, <c>queue</c> or <c>drop</c>.</summary>
    public required string Source { get; set; }

    /// <summary>The inbox blob of a <c>drop</c> job.</summary>
    public SourceBlob? SourceBlob { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>SHA-256 of the submitted body: tells a redelivered queue request from another one reusing its id.</summary>
    public string? RequestHash { get; set; }

    /// <summary>The Seedream request as it is sent (stored as its snake_case JSON); null when the submission could not be read.</summary>
    [JsonConverter(typeof(SeedreamRequestJsonConverter))]
    public ImageGenerationRequest? Request { get; set; }

    /// <summary>When the job stops being worth running: not sent to Seedream by then, it ends <see cref="JobStatus.Expired"/>.</summary>
    public DateTimeOffset? Deadline { get; set; }

    /// <summary>
    /// When a cancel was accepted for a job that a delivery was running: the delivery stops at its next write (the next
    /// image) and ends the job cancelled; a job nobody runs is ended cancelled by the cancel itself.
    /// </summary>
    public DateTimeOffset? CancelRequestedAt { get; set; }

    public Dictionary<string, string> Metadata { get; set; } = [];

    /// <summary>W3C trace context of the submission; the job's work and events continue this trace.</summary>
    public string? TraceParent { get; set; }

    public GenerationPhase Phase { get; set; }

    public JobLease? Lease { get; set; }

    public int GenerationAttempts { get; set; }

    public GenerationAnswer? Answer { get; set; }

    public List<StoredImage> Images { get; set; } = [];

    public List<ImageFailure> Failures { get; set; } = [];

    public JobUsage? Usage { get; set; }

    public JobCost? Cost { get; set; }

    public JobError? Error { get; set; }

    /// <summary>The last retryable failure, reported if the retries run out.</summary>
    public JobError? LastTransientError { get; set; }

    /// <summary>Set while the job waits outside a worker for Seedream capacity (status stays <c>queued</c>); cleared when a delivery claims it.</summary>
    public CapacityWait? WaitingForCapacity { get; set; }

    /// <summary>Rate-limit refusals so far; the wait after each one grows (docs: Pacing). Never counts toward the poison threshold.</summary>
    public int CapacityWaits { get; set; }

    public TerminalEvent? TerminalEvent { get; set; }

    /// <summary>The submission's callback; its deliveries are recorded beside the job (<see cref="WebhookDeliveryLog"/>).</summary>
    public WebhookSubscription? Webhook { get; set; }
    /// <summary>The batch and line this job came from (<c>POST /api/batches</c>); null for single requests.</summary>
    public BatchLineReference? Batch { get; set; }

    [JsonIgnore]
    public bool IsTerminal => IsTerminalStatus(Status);

    public static bool IsTerminalStatus(JobStatus status) => JobOutcomes.IsFinal(status);

    public bool IsSettled(int index) => Images.Exists(i => i.Index == index) || Failures.Exists(f => f.Index == index);
}

/// <summary>Why a job waits for capacity (<c>Paced</c>, or the 429 code Seedream answered), since when, and when it is tried again.</summary>
public sealed record CapacityWait(string Reason, DateTimeOffset Since, DateTimeOffset RetryAt);

public sealed record JobLease(string Owner, DateTimeOffset ExpiresAt)
{
    public bool IsLive(DateTimeOffset now) => ExpiresAt > now;
}

/// <summary>What Seedream returned, persisted before any image is downloaded.</summary>
public sealed class GenerationAnswer
{
    public string? SeedreamRequestId { get; set; }

    public string? Model { get; set; }

    /// <summary>b64_json: the bytes come inside the response, so each image is recorded as it is stored.</summary>
    public bool Inline { get; set; }

    /// <summary>Every item of the response has been read (or what could not be read is recorded as failed).</summary>
    public bool Complete { get; set; }

    /// <summary>Result URLs (url mode), downloaded after this answer is persisted.</summary>
    public List<AnsweredImage> Items { get; set; } = [];

    public JobUsage? Usage { get; set; }
}

public sealed record AnsweredImage(int Index, Uri Url, int? Width, int? Height);

public sealed record StoredImage(int Index, string BlobName, Uri BlobUrl, string ContentType, int? Width, int? Height, long Bytes)
{
    public string? Size => Width is int w && Height is int h ? $"{w}x{h}" : null;
}

public sealed record ImageFailure(int Index, string Code, string Message);

public sealed record JobUsage(int GeneratedImages, long OutputTokens, long TotalTokens, int? InputImages);

public sealed record JobCost(decimal Amount, string Currency, bool Estimated);

/// <summary>Why a job failed: Seedream's code and message, troubleshooting advice, and the fields at fault for invalid requests.</summary>
public sealed record JobError(string Code, string Message)
{
    public string? Advice { get; init; }

    public int? SeedreamStatus { get; init; }

    public string? SeedreamRequestId { get; init; }

    public IReadOnlyDictionary<string, string[]>? Fields { get; init; }
}

/// <summary>The job's one terminal CloudEvent; written with the terminal status, claimed and marked published with ETags.</summary>
public sealed class TerminalEvent
{
    public required string Id { get; set; }

    public required string Type { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimExpiresAt { get; set; }
}

/// <summary>The request inside a job record is written exactly as it is sent to Seedream (snake_case, unknown fields kept).</summary>
internal sealed class SeedreamRequestJsonConverter : JsonConverter<ImageGenerationRequest>
{
    public override ImageGenerationRequest? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<ImageGenerationRequest>(ref reader, SeedreamJson.Options);

    // The record's writer keeps its own encoder (readable prompts); only the naming comes from the Seedream options.
    public override void Write(Utf8JsonWriter writer, ImageGenerationRequest value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, SeedreamJson.Options);
}

internal static class JobJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        // Prompts are often Chinese: keep them readable instead of \uXXXX escapes (HTML-sensitive characters stay escaped).
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
