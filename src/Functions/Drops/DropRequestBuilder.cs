using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;
using Seedream.Functions.Submissions;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Drops;

/// <summary>A drop read as a submission: a valid request, or the error its failed job reports (and the callback it still gets).</summary>
public sealed record DropSubmission(Submission? Submission, JobError? Error, string? BodyHash = null, WebhookSubscription? RefusedWebhook = null);

/// <summary>
/// Turns a dropped blob into the same submission an HTTP caller would send: a JSON drop is a <c>POST /api/generations</c>
/// body whose <c>image</c> entries may name inbox blobs; an image drop is an image-to-image request with the blob as its
/// reference and the parameters from its metadata, bound typed and checked by the intake's typed entry
/// (<see cref="SubmissionIntake.CheckAsync(ImageGenerationRequest, IReadOnlyDictionary{string, string}, IntakeContext, CancellationToken)"/>).
/// Both resolve inbox references (<see cref="InboxReferenceResolver.Beside"/>) to read URLs or <c>data:</c> URIs.
/// </summary>
public sealed class DropRequestBuilder
{
    public const string InvalidRequestCode = SubmissionService.InvalidRequestCode;
    public const string UnsupportedDropCode = "UnsupportedDropType";
    public const string DropTooLargeCode = "DropTooLarge";
    public const string SourceBlobNotFoundCode = "SourceBlobNotFound";

    private const string ImageField = "image";

    private readonly InboxStore _inbox;
    private readonly SubmissionIntake _intake;
    private readonly InboxReferenceResolver _references;
    private readonly DropOptions _options;
    private readonly PipelineOptions _pipeline;

    public DropRequestBuilder(InboxStore inbox, SubmissionIntake intake, InboxReferenceResolver references, IOptions<DropOptions> options, IOptions<PipelineOptions> pipeline)
    {
        _inbox = inbox;
        _intake = intake;
        _references = references;
        _options = options.Value;
        _pipeline = pipeline.Value;
    }

    public async Task<DropSubmission> BuildAsync(SourceBlob source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (await _inbox.GetAsync(source.Name, cancellationToken).ConfigureAwait(false) is not { } blob)
        {
            return Failed(SourceBlobNotFoundCode, $"The dropped blob '{LogText.Cut(source.Name, 128)}' no longer exists in container '{source.Container}'.");
        }

        return source.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? await FromJsonAsync(blob, cancellationToken).ConfigureAwait(false)
            : await FromImageAsync(blob, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DropSubmission> FromJsonAsync(InboxBlob blob, CancellationToken cancellationToken)
    {
        if (blob.Length > _pipeline.MaxRequestBodyBytes)
        {
            return Failed(DropTooLargeCode,
                $"The request file has {blob.Length} bytes; requests are limited to {_pipeline.MaxRequestBodyBytes} bytes. Drop large reference images as blobs and name them in 'image'.");
        }

        var content = await _inbox.ReadAllAsync(blob, cancellationToken).ConfigureAwait(false);
        var read = await _intake.ReadAsync(content.ToMemory(), IntakeOrigin.Drop, ContextFor(blob), cancellationToken).ConfigureAwait(false);
        return FromResult(read, new IntakeProblems());
    }

    private async Task<DropSubmission> FromImageAsync(InboxBlob blob, CancellationToken cancellationToken)
    {
        var header = await _inbox.ReadStartAsync(blob, ImageHeader.HeaderBytes, cancellationToken).ConfigureAwait(false);
        if (ImageHeader.Inspect(header) is null)
        {
            return Failed(UnsupportedDropCode,
                $"'{LogText.Cut(blob.Name, 128)}' is neither a JSON request (*.json) nor an image Seedream takes ({ReferenceImageRules.Formats}).");
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var parameters = ImageDropParameters.ToRequest(_options.Defaults, blob.Metadata, errors);
        // The blob itself is the one reference: named from the container root, it goes through the same checks as any.
        parameters[ImageField] = "/" + blob.Name;
        var metadataProblems = new IntakeProblems();
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                metadataProblems.Add(field, message);
            }
        }

        // Values were converted to their fields' types above: binding names what still does not fit, then the typed entry
        // runs every later rule, as for a JSON body.
        if (RequestBinder.Bind(parameters, metadataProblems) is not { } request)
        {
            return FromResult(IntakeResult.Refused(new IntakeProblems(), SubmissionIntake.Hash(System.Text.Encoding.UTF8.GetBytes(parameters.ToJsonString()))), metadataProblems);
        }

        var read = await _intake.CheckAsync(request, new Dictionary<string, string>(), ContextFor(blob), cancellationToken).ConfigureAwait(false);
        return FromResult(read, metadataProblems);
    }

    private IntakeContext ContextFor(InboxBlob blob) => new() { References = _references.Beside(blob.Name) };

    private static DropSubmission FromResult(IntakeResult read, IntakeProblems extra)
    {
        if (read.Submission is { } submission && extra.IsEmpty)
        {
            return new DropSubmission(submission, null, read.BodyHash);
        }

        var problems = read.Problems;
        foreach (var field in extra.Fields)
        {
            foreach (var message in extra.ToDictionary()[field])
            {
                problems.Add(field, message);
            }
        }

        return new DropSubmission(null, new JobError(InvalidRequestCode, $"The dropped request cannot succeed. {problems.Summary()}")
        {
            Fields = problems.ToDictionary(),
        }, read.BodyHash, read.RefusedWebhook);
    }

    private static DropSubmission Failed(string code, string message) => new(null, new JobError(code, message));
}
