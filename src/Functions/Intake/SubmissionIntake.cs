using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Models;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Intake;

/// <summary>
/// The one front door: HTTP bodies, producers' queue messages and drops all pass here. Raw bytes in; a typed
/// <see cref="Submission"/> or every problem (field path + message) out. Steps, in order: size, strict JSON
/// (<see cref="StrictJsonReader"/>), the pipeline's own fields (<c>id</c>, <c>traceparent</c>, <c>metadata</c>,
/// <c>deadline</c>, <c>webhook</c>), the typed bind (<see cref="RequestBinder"/>), then (<see cref="CheckAsync"/>, also the
/// entry of requests built typed: image drops) the origin's reference resolution (<see cref="IntakeContext.References"/>),
/// text rules, the client's validator, the count rule, the model catalog, and the reference images
/// (<see cref="ReferenceImageChecker"/>).
/// </summary>
public sealed partial class SubmissionIntake
{
    public const string MetadataField = "metadata";
    public const string IdField = "id";
    public const string TraceParentField = "traceparent";
    private const int MaxTotalImages = 15;

    private readonly IntakeOptions _options;
    private readonly PipelineOptions _pipeline;
    private readonly ReferenceImageChecker _references;
    private readonly ModelCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly WebhookTargetRules _webhooks;

    public SubmissionIntake(
        IOptions<IntakeOptions> options, IOptions<PipelineOptions> pipeline, ReferenceImageChecker references, ModelCatalog catalog, TimeProvider time,
        WebhookTargetRules webhooks)
    {
        _webhooks = webhooks;
        _options = options.Value;
        _pipeline = pipeline.Value;
        _references = references;
        _catalog = catalog;
        _time = time;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    public static partial Regex JobIdPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex MetadataKeyPattern();

    public static string Hash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    public async Task<IntakeResult> ReadAsync(ReadOnlyMemory<byte> body, IntakeOrigin origin, IntakeContext? context, CancellationToken cancellationToken)
    {
        context ??= IntakeContext.None;
        var hash = Hash(body.Span);
        var problems = new IntakeProblems();
        if (body.Length > _pipeline.MaxRequestBodyBytes)
        {
            problems.Add(IntakeProblems.Root, $"The body has {body.Length} bytes; submissions are limited to {_pipeline.MaxRequestBodyBytes} bytes. Pass large reference images by URL.");
            return IntakeResult.Refused(problems, hash);
        }

        if (StrictJsonReader.Read(body.Span, _options.MaxDepth, problems) is not { } root)
        {
            return IntakeResult.Refused(problems, hash);
        }

        string? id = null, traceParent = null;
        if (origin == IntakeOrigin.Queue)
        {
            id = TakeId(root, problems);
            traceParent = TakeTraceParent(root);
        }

        var metadata = TakeMetadata(root, problems);
        var deadline = DeadlineRules.Take(root, origin == IntakeOrigin.Http ? context.CancelAfter : null, _time.GetUtcNow(), _options.MaxDeadline, problems, context.SubmittedAt);
        var webhook = await _webhooks.TakeAsync(root, problems, cancellationToken).ConfigureAwait(false);
        // A callback with a fault of its own (an unknown key beside a good url) is not called: the caller did not name it right.
        var refusedWebhook = problems.HasUnder(WebhookTargetRules.Field) ? null : webhook;
        if (RequestBinder.Bind(root, problems) is not { } request)
        {
            return IntakeResult.Refused(problems, hash, id, webhook: refusedWebhook);
        }

        var submission = new Submission
        {
            Request = request,
            Metadata = metadata,
            Id = id,
            Deadline = deadline,
            TraceParent = traceParent,
            BodyHash = hash,
            Webhook = webhook,
        };
        return await CheckAsync(submission, problems, refusedWebhook, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The entry for a request built typed rather than read from bytes (an image drop: its parameters come from the blob's
    /// metadata): every rule after the JSON and bind steps, the same as for a body. Its hash is that of the request's JSON.
    /// </summary>
    public Task<IntakeResult> CheckAsync(ImageGenerationRequest request, IReadOnlyDictionary<string, string> metadata, IntakeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(context);
        var submission = new Submission { Request = request, Metadata = metadata, BodyHash = Hash(System.Text.Encoding.UTF8.GetBytes(request.ToJson())) };
        return CheckAsync(submission, new IntakeProblems(), refusedWebhook: null, context, cancellationToken);
    }

    private async Task<IntakeResult> CheckAsync(Submission submission, IntakeProblems problems, WebhookSubscription? refusedWebhook, IntakeContext context, CancellationToken cancellationToken)
    {
        var request = submission.Request;
        var checkedReferences = new HashSet<int>();
        if (request.Image is { Count: > 0 })
        {
            request.Image = await context.References.ResolveAsync(request.Image, request.Model, problems, checkedReferences, cancellationToken).ConfigureAwait(false);
        }

        if (request.Image is { } images)
        {
            request.Image = images.IsSingle ? new ImageReferences(DataUriReference.Normalise(images[0])) : new ImageReferences(images.Select(DataUriReference.Normalise));
        }

        CheckText(request, problems);
        foreach (var error in ImageGenerationRequestValidator.Validate(request))
        {
            if (!problems.Has(error.Param))
            {
                problems.Add(error.Param, error.Message);
            }
        }

        CheckTotalImages(request, problems);
        if (!problems.Has("model") && await _catalog.FindAsync(request.Model, cancellationToken).ConfigureAwait(false) == ModelAvailability.Unknown)
        {
            problems.Add("model", $"The model '{LogText.Cut(request.Model, 64)}' is not offered by the configured Seedream endpoint. List the models with GET /api/models (the provider's GET /models).");
        }

        await _references.CheckAsync(request, problems, checkedReferences, cancellationToken).ConfigureAwait(false);
        return problems.IsEmpty
            ? IntakeResult.Accepted(submission)
            : IntakeResult.Refused(problems, submission.BodyHash, submission.Id, request, submission.Metadata, refusedWebhook);
    }

    /// <summary>Rules the validator leaves to us: a bounded, printable model id and a prompt that says something.</summary>
    private void CheckText(ImageGenerationRequest request, IntakeProblems problems)
    {
        if (request.Model is { Length: > 0 } model && (model.Length > _options.MaxModelLength || model.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            problems.Add("model", $"The model id must be at most {_options.MaxModelLength} characters without spaces or control characters.");
        }

        if (request.Prompt is { Length: > 0 } prompt)
        {
            if (prompt.All(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '\uFEFF'))
            {
                problems.Add("prompt", "The prompt holds only whitespace or control characters (such as U+0000); describe the image in words.");
            }
            else if (prompt.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            {
                var control = prompt.First(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));
                problems.Add("prompt", $"The prompt contains the control character U+{(int)control:X4}; only line breaks and tabs are allowed.");
            }
        }
    }

    /// <summary>Reference images and generated images together are at most 15 (contract §3: max_images ≤ 15 − references).</summary>
    private static void CheckTotalImages(ImageGenerationRequest request, IntakeProblems problems)
    {
        var references = request.Image?.Count ?? 0;
        if (request.SequentialImageGenerationOptions?.MaxImages is int maxImages && maxImages is >= 1 and <= MaxTotalImages
            && request.SequentialImageGeneration == SequentialImageGenerationMode.Auto && references + maxImages > MaxTotalImages)
        {
            var message = $"{references} reference images + max_images {maxImages} = {references + maxImages}; Seedream allows at most {MaxTotalImages} input and output images together (max_images ≤ {MaxTotalImages - references} here).";
            problems.Add("sequential_image_generation_options.max_images", message);
            problems.Add("image", message);
        }
    }

    private Dictionary<string, string> TakeMetadata(JsonObject root, IntakeProblems problems)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetPropertyValue(MetadataField, out var node))
        {
            return metadata;
        }

        root.Remove(MetadataField);
        if (node is null)
        {
            return metadata;
        }

        if (node is not JsonObject entries)
        {
            problems.Add(MetadataField, "metadata must be an object of string values.");
            return metadata;
        }

        if (entries.Count > _pipeline.MaxMetadataEntries)
        {
            problems.Add(MetadataField, $"metadata can hold at most {_pipeline.MaxMetadataEntries} entries.");
        }

        foreach (var (key, value) in entries)
        {
            var path = $"{MetadataField}.{key}";
            if (!MetadataKeyPattern().IsMatch(key))
            {
                problems.Add(path, "Metadata keys must start with a letter and hold at most 64 letters, digits or '_'.");
            }
            else if (value is not JsonValue scalar || scalar.GetValueKind() != JsonValueKind.String)
            {
                problems.Add(path, "Metadata values must be strings.");
            }
            else if (scalar.GetValue<string>() is var text && text.Length > _pipeline.MaxMetadataValueLength)
            {
                problems.Add(path, $"Metadata values can be at most {_pipeline.MaxMetadataValueLength} characters long.");
            }
            else
            {
                metadata[key] = text;
            }
        }

        return metadata;
    }

    private static string? TakeId(JsonObject root, IntakeProblems problems)
    {
        if (!root.TryGetPropertyValue(IdField, out var node))
        {
            return null;
        }

        root.Remove(IdField);
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && JobIdPattern().IsMatch(value.GetValue<string>()))
        {
            return value.GetValue<string>();
        }

        problems.Add(IdField, "The id must be a string of 1 to 64 letters, digits, '-' or '_'.");
        return null;
    }

    /// <summary>Trace context is best effort: an unusable value starts a new trace instead of failing the request.</summary>
    private static string? TakeTraceParent(JsonObject root)
    {
        if (!root.TryGetPropertyValue(TraceParentField, out var node))
        {
            return null;
        }

        root.Remove(TraceParentField);
        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            && ActivityContext.TryParse(value.GetValue<string>(), null, out _) ? value.GetValue<string>() : null;
    }
}
