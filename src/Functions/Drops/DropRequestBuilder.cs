using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>A drop read as a submission: a valid request, or the error its failed job reports.</summary>
public sealed record DropSubmission(ParsedSubmission? Submission, JobError? Error);

/// <summary>
/// Turns a dropped blob into the same submission an HTTP caller would send: a JSON drop is a <c>POST /api/generations</c>
/// body whose <c>image</c> entries may name inbox blobs; an image drop is an image-to-image request with the blob as its
/// reference and the parameters from its metadata. Inbox references become read URLs or <c>data:</c> URIs.
/// </summary>
public sealed class DropRequestBuilder
{
    public const string InvalidRequestCode = "InvalidRequest";
    public const string UnsupportedDropCode = "UnsupportedDropType";
    public const string DropTooLargeCode = "DropTooLarge";
    public const string SourceBlobNotFoundCode = "SourceBlobNotFound";

    private const string ImageField = "image";

    private readonly InboxStore _inbox;
    private readonly SubmissionParser _parser;
    private readonly DropOptions _options;
    private readonly PipelineOptions _pipeline;

    public DropRequestBuilder(InboxStore inbox, SubmissionParser parser, IOptions<DropOptions> options, IOptions<PipelineOptions> pipeline)
    {
        _inbox = inbox;
        _parser = parser;
        _options = options.Value;
        _pipeline = pipeline.Value;
    }

    public async Task<DropSubmission> BuildAsync(SourceBlob source, CancellationToken cancellationToken)
    {
        if (await _inbox.GetAsync(source.Name, cancellationToken).ConfigureAwait(false) is not { } blob)
        {
            return Failed(SourceBlobNotFoundCode, $"The dropped blob '{source.Name}' no longer exists in container '{source.Container}'.");
        }

        var budget = new InlineBudget(_options.MaxInlineReferenceBytes);
        return source.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? await FromJsonAsync(blob, budget, cancellationToken).ConfigureAwait(false)
            : await FromImageAsync(blob, budget, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DropSubmission> FromJsonAsync(InboxBlob blob, InlineBudget budget, CancellationToken cancellationToken)
    {
        if (blob.Length > _pipeline.MaxRequestBodyBytes)
        {
            return Failed(DropTooLargeCode,
                $"The request file has {blob.Length} bytes; requests are limited to {_pipeline.MaxRequestBodyBytes} bytes. Drop large reference images as blobs and name them in 'image'.");
        }

        var content = await _inbox.ReadAllAsync(blob, cancellationToken).ConfigureAwait(false);
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(content) as JsonObject;
        }
        catch (JsonException)
        {
            root = null;
        }

        if (root is null)
        {
            // Not a JSON object: the parser words the problem exactly as the HTTP API would.
            return FromParsed(_parser.ParseHttpBody(content), []);
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var model = root["model"] is JsonValue modelValue && modelValue.GetValueKind() == JsonValueKind.String ? modelValue.GetValue<string>() : null;
        switch (root[ImageField])
        {
            case JsonValue single when single.GetValueKind() == JsonValueKind.String:
                root[ImageField] = await ResolveAsync(single.GetValue<string>(), ImageField, blob.Name, model, budget, errors, cancellationToken).ConfigureAwait(false);
                break;
            case JsonArray references:
                for (var i = 0; i < references.Count; i++)
                {
                    if (references[i] is JsonValue entry && entry.GetValueKind() == JsonValueKind.String)
                    {
                        references[i] = await ResolveAsync(entry.GetValue<string>(), $"{ImageField}[{i}]", blob.Name, model, budget, errors, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
        }

        return FromParsed(_parser.ParseHttpBody(JsonSerializer.SerializeToUtf8Bytes(root)), errors);
    }

    private async Task<DropSubmission> FromImageAsync(InboxBlob blob, InlineBudget budget, CancellationToken cancellationToken)
    {
        var header = await _inbox.ReadStartAsync(blob, ImageHeader.HeaderBytes, cancellationToken).ConfigureAwait(false);
        if (ImageHeader.Inspect(header) is not { } image)
        {
            return Failed(UnsupportedDropCode,
                $"'{blob.Name}' is neither a JSON request (*.json) nor an image Seedream takes (png, jpeg, webp, bmp, tiff, gif, heic, heif).");
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var request = ImageDropParameters.ToRequest(_options.Defaults, blob.Metadata, errors);
        var model = request["model"]?.GetValue<string>();
        if ((image.CheckLimits(blob.Length, model) ?? OverBudget(blob, budget)) is { } problem)
        {
            AddError(errors, ImageField, problem);
        }

        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        request[ImageField] = await _inbox.CreateReferenceAsync(blob, image, cancellationToken).ConfigureAwait(false);
        return FromParsed(_parser.ParseHttpBody(JsonSerializer.SerializeToUtf8Bytes(request)), errors);
    }

    /// <summary>An <c>image</c> entry of a JSON drop: URLs and data URIs pass through; anything else names an inbox blob.</summary>
    private async Task<string> ResolveAsync(
        string entry, string field, string requestBlobName, string? model, InlineBudget budget, Dictionary<string, List<string>> errors, CancellationToken cancellationToken)
    {
        if (entry.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
            || (Uri.TryCreate(entry, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)))
        {
            return entry;
        }

        if (string.IsNullOrWhiteSpace(entry))
        {
            AddError(errors, field, "The image entry is empty.");
            return entry;
        }

        InboxBlob? blob = null;
        var candidates = CandidateBlobNames(entry, requestBlobName);
        foreach (var candidate in candidates)
        {
            if ((blob = await _inbox.GetAsync(candidate, cancellationToken).ConfigureAwait(false)) is not null)
            {
                break;
            }
        }

        if (blob is null)
        {
            AddError(errors, field, $"The inbox has no blob named '{string.Join("' or '", candidates)}'.");
            return entry;
        }

        var name = blob.Name;

        var header = await _inbox.ReadStartAsync(blob, ImageHeader.HeaderBytes, cancellationToken).ConfigureAwait(false);
        if (ImageHeader.Inspect(header) is not { } image)
        {
            AddError(errors, field, $"The inbox blob '{name}' is not an image Seedream takes (png, jpeg, webp, bmp, tiff, gif, heic, heif).");
            return entry;
        }

        if ((image.CheckLimits(blob.Length, model) ?? OverBudget(blob, budget)) is { } problem)
        {
            AddError(errors, field, $"The inbox blob '{name}': {problem}");
            return entry;
        }

        return await _inbox.CreateReferenceAsync(blob, image, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where a named reference may be: beside the request file (names are relative to its folder, like paths in a file),
    /// then in the references folder; a leading '/' names a blob from the container's root.
    /// </summary>
    private string[] CandidateBlobNames(string entry, string requestBlobName)
    {
        if (entry.StartsWith('/'))
        {
            return [entry.TrimStart('/')];
        }

        var folderEnd = requestBlobName.LastIndexOf('/');
        var beside = folderEnd < 0 ? entry : requestBlobName[..(folderEnd + 1)] + entry;
        var inReferences = _options.ReferencesFolder + entry;
        return beside == inReferences ? [beside] : [beside, inReferences];
    }

    /// <summary>Inline references count against the drop's budget; read URLs cost nothing.</summary>
    private string? OverBudget(InboxBlob blob, InlineBudget budget)
    {
        if (!_inbox.UsesDataUris)
        {
            return null;
        }

        budget.Remaining -= blob.Length;
        return budget.Remaining >= 0 ? null
            : $"The references of this drop exceed {_options.MaxInlineReferenceBytes} bytes in total, the most sent inline as data: URIs (Drops:MaxInlineReferenceBytes); use Drops:ReferenceMode=Url.";
    }

    private sealed class InlineBudget(long bytes)
    {
        public long Remaining { get; set; } = bytes;
    }

    private static DropSubmission FromParsed(ParsedSubmission parsed, Dictionary<string, List<string>> referenceErrors)
    {
        foreach (var (field, messages) in referenceErrors)
        {
            // The reference's own problem explains the field better than the validator's view of the unresolved name.
            parsed.Errors[field] = messages;
        }

        return parsed.IsValid ? new DropSubmission(parsed, null) : Invalid(parsed.Errors);
    }

    private static DropSubmission Invalid(Dictionary<string, List<string>> errors)
    {
        var summary = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        return new DropSubmission(null, new JobError(InvalidRequestCode, $"The dropped request cannot succeed. {summary}")
        {
            Fields = errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
        });
    }

    private static DropSubmission Failed(string code, string message) => new(null, new JobError(code, message));

    private static void AddError(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var messages))
        {
            errors[field] = messages = [];
        }

        messages.Add(message);
    }
}
