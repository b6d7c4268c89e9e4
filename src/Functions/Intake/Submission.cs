using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Intake;

/// <summary>A submission that passed the intake: the Seedream request and the pipeline's own fields, typed.</summary>
public sealed class Submission
{
    public required ImageGenerationRequest Request { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The producer's job id (queue only).</summary>
    public string? Id { get; init; }

    /// <summary>When the job must be finished by: the body's <c>deadline</c> or, over HTTP, now + <c>Cancel-After</c> (the earlier of the two).</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>W3C trace context a queue producer passed along; null when absent or unusable.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The submission's own callback (<c>webhook</c>); null when it named none.</summary>
    public WebhookSubscription? Webhook { get; init; }

    /// <summary>SHA-256 of the raw bytes, lowercase hex: idempotency and redelivery checks compare it.</summary>
    public required string BodyHash { get; init; }
}

/// <summary>What the intake made of some bytes: a <see cref="Submission"/>, or every problem found.</summary>
public sealed class IntakeResult
{
    private IntakeResult(
        Submission? submission, IntakeProblems problems, string bodyHash, string? declaredId, ImageGenerationRequest? refusedRequest = null,
        IReadOnlyDictionary<string, string>? refusedMetadata = null, WebhookSubscription? refusedWebhook = null)
    {
        Submission = submission;
        Problems = problems;
        BodyHash = bodyHash;
        DeclaredId = declaredId;
        RefusedRequest = refusedRequest;
        RefusedMetadata = refusedMetadata ?? new Dictionary<string, string>();
        RefusedWebhook = refusedWebhook;
    }

    public Submission? Submission { get; }

    public IntakeProblems Problems { get; }

    public string BodyHash { get; }

    /// <summary>A valid <c>id</c> the body carried even when other fields are at fault: the failed job takes it.</summary>
    public string? DeclaredId { get; }

    /// <summary>
    /// A refused body that still bound as a request (only its values are at fault): the failed job keeps it, so that its
    /// status and page show what was asked. Never sent to Seedream.
    /// </summary>
    public ImageGenerationRequest? RefusedRequest { get; }

    /// <summary>The valid metadata entries of a refused body, for the failed job.</summary>
    public IReadOnlyDictionary<string, string> RefusedMetadata { get; }

    /// <summary>
    /// A refused body's <c>webhook</c> when that field itself is valid: the failed job (queue, drop) keeps it, so that
    /// the caller is told of the refusal as of any other ending. Over HTTP a refusal is a 400 and makes no job.
    /// </summary>
    public WebhookSubscription? RefusedWebhook { get; }

    public bool IsAccepted => Submission is not null;

    public static IntakeResult Accepted(Submission submission) => new(submission, new IntakeProblems(), submission.BodyHash, submission.Id);

    public static IntakeResult Refused(
        IntakeProblems problems, string bodyHash, string? declaredId = null, ImageGenerationRequest? request = null,
        IReadOnlyDictionary<string, string>? metadata = null, WebhookSubscription? webhook = null) =>
        new(null, problems, bodyHash, declaredId, request, metadata, webhook);
}

/// <summary>What the entry point knows beside the bytes.</summary>
public sealed class IntakeContext
{
    public static readonly IntakeContext None = new();

    /// <summary>HTTP <c>Cancel-After</c> header (a duration: <c>30s</c>, <c>5m</c>, <c>1h30m</c>).</summary>
    public string? CancelAfter { get; init; }

    /// <summary>How this origin's <c>image</c> entries resolve: nothing for HTTP and queue, inbox names beside the blob for drops.</summary>
    public IReferenceResolver References { get; init; } = IReferenceResolver.None;

    /// <summary>Queue: when the producer enqueued the message; a deadline that passed since then expires the job instead of refusing it.</summary>
    public DateTimeOffset? SubmittedAt { get; init; }
}
