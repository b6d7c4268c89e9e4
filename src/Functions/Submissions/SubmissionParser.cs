using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>A submission read from an HTTP body or a producer's queue message.</summary>
public sealed class ParsedSubmission
{
    /// <summary>The caller's job id (queue producers only).</summary>
    public string? Id { get; init; }

    public string? TraceParent { get; init; }

    public Dictionary<string, string> Metadata { get; init; } = [];

    /// <summary>The Seedream request; null when the body could not be read as one.</summary>
    public ImageGenerationRequest? Request { get; init; }

    /// <summary>Every problem, keyed by the JSON path of the field at fault ("size", "image[1]", "metadata.color").</summary>
    public Dictionary<string, List<string>> Errors { get; init; } = [];

    /// <summary>SHA-256 of the raw body, lowercase hex.</summary>
    public required string BodyHash { get; init; }

    public bool IsValid => Errors.Count == 0 && Request is not null;

    public IReadOnlyDictionary<string, string[]> ErrorFields => Errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}

/// <summary>Reads submissions: the Seedream request body plus the pipeline's own <c>metadata</c> (and, on the queue, <c>id</c>).</summary>
public sealed partial class SubmissionParser
{
    public const string RootPath = "$";
    private const string MetadataProperty = "metadata";
    private const string IdProperty = "id";
    private const string TraceParentProperty = "traceparent";

    private readonly PipelineOptions _options;

    public SubmissionParser(IOptions<PipelineOptions> options) => _options = options.Value;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    public static partial Regex JobIdPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex MetadataKeyPattern();

    public static string Hash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>Parses an HTTP submission body.</summary>
    public ParsedSubmission ParseHttpBody(ReadOnlySpan<byte> body) => Parse(body, fromQueue: false);

    /// <summary>Parses a producer's queue request; <c>id</c> and <c>traceparent</c> are the pipeline's, not Seedream's.</summary>
    public ParsedSubmission ParseQueueRequest(ReadOnlySpan<byte> body) => Parse(body, fromQueue: true);

    private ParsedSubmission Parse(ReadOnlySpan<byte> body, bool fromQueue)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var hash = Hash(body);
        JsonObject root;
        try
        {
            // Duplicate properties are refused: which of the two values Seedream would use is not defined.
            if (JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) is not JsonObject parsed)
            {
                AddError(errors, RootPath, "The body must be a JSON object.");
                return new ParsedSubmission { BodyHash = hash, Errors = errors };
            }

            root = parsed;
        }
        catch (JsonException e)
        {
            AddError(errors, FieldPath(e.Path), $"The body is not valid JSON: {FirstSentence(e.Message)}");
            return new ParsedSubmission { BodyHash = hash, Errors = errors };
        }

        string? id = null;
        string? traceParent = null;
        if (fromQueue)
        {
            id = TakeId(root, errors);
            traceParent = TakeTraceParent(root);
        }

        var metadata = TakeMetadata(root, errors);

        ImageGenerationRequest? request = null;
        try
        {
            request = ImageGenerationRequest.FromJson(root.ToJsonString());
        }
        catch (SeedreamException e) when (e.ValidationErrors.Count > 0)
        {
            foreach (var error in e.ValidationErrors)
            {
                AddError(errors, FieldPath(error.Param), "The value has the wrong type for this field.");
            }
        }

        if (request is not null)
        {
            foreach (var error in ImageGenerationRequestValidator.Validate(request))
            {
                AddError(errors, string.IsNullOrEmpty(error.Param) ? RootPath : error.Param, error.Message);
            }
        }

        return new ParsedSubmission
        {
            Id = id,
            TraceParent = traceParent,
            Metadata = metadata,
            Request = request,
            Errors = errors,
            BodyHash = hash,
        };
    }

    private Dictionary<string, string> TakeMetadata(JsonObject root, Dictionary<string, List<string>> errors)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetPropertyValue(MetadataProperty, out var node))
        {
            return metadata;
        }

        root.Remove(MetadataProperty);
        if (node is null)
        {
            return metadata;
        }

        if (node is not JsonObject entries)
        {
            AddError(errors, MetadataProperty, "metadata must be an object of string values.");
            return metadata;
        }

        if (entries.Count > _options.MaxMetadataEntries)
        {
            AddError(errors, MetadataProperty, $"metadata can hold at most {_options.MaxMetadataEntries} entries.");
        }

        foreach (var (key, value) in entries)
        {
            var path = $"{MetadataProperty}.{key}";
            if (!MetadataKeyPattern().IsMatch(key))
            {
                AddError(errors, path, "Metadata keys must start with a letter and hold at most 64 letters, digits or '_'.");
            }
            else if (value is not JsonValue scalar || scalar.GetValueKind() != JsonValueKind.String)
            {
                AddError(errors, path, "Metadata values must be strings.");
            }
            else if (scalar.GetValue<string>() is var text && text.Length > _options.MaxMetadataValueLength)
            {
                AddError(errors, path, $"Metadata values can be at most {_options.MaxMetadataValueLength} characters long.");
            }
            else
            {
                metadata[key] = text;
            }
        }

        return metadata;
    }

    private static string? TakeId(JsonObject root, Dictionary<string, List<string>> errors)
    {
        if (!root.TryGetPropertyValue(IdProperty, out var node))
        {
            return null;
        }

        root.Remove(IdProperty);
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && JobIdPattern().IsMatch(value.GetValue<string>()))
        {
            return value.GetValue<string>();
        }

        AddError(errors, IdProperty, "The id must be a string of 1 to 64 letters, digits, '-' or '_'.");
        return null;
    }

    /// <summary>Trace context is best effort: an unusable value starts a new trace instead of failing the request.</summary>
    private static string? TakeTraceParent(JsonObject root)
    {
        if (!root.TryGetPropertyValue(TraceParentProperty, out var node))
        {
            return null;
        }

        root.Remove(TraceParentProperty);
        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            && ActivityContext.TryParse(value.GetValue<string>(), null, out _) ? value.GetValue<string>() : null;
    }

    private static void AddError(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var messages))
        {
            errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>"$.image[1]" → "image[1]"; the root stays "$".</summary>
    private static string FieldPath(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == RootPath ? RootPath : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
