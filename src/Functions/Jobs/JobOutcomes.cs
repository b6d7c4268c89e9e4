using System.Text.Json;
using Seedream.Functions.Events;

namespace Seedream.Functions.Jobs;

/// <summary>
/// A job's status. A new way for a job to end is a member here and its row in <see cref="JobOutcomes.All"/>, in this
/// file; everything that lists, shows or acts on statuses reads the table.
/// </summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    PartiallySucceeded,
    Failed,

    /// <summary>Stopped by <c>POST /api/generations/{id}/cancel</c>; images stored before the cancel stay.</summary>
    Cancelled,

    /// <summary>Its <see cref="GenerationJob.Deadline"/> passed before the Seedream call was sent; nothing was paid.</summary>
    Expired,

    /// <summary>
    /// A status written by a newer version of the app (a rolling deploy): read rather than refused, never final, and its
    /// name is kept in <see cref="GenerationJob.StatusName"/> so writing the record back does not lose it.
    /// </summary>
    Unknown,
}

/// <summary>
/// What one job status means wherever a status is shown or acted on: its JSON name, whether it is final, the terminal
/// CloudEvent it publishes, whether it counts as a failure, its colour in the views and how a drop marks its blob.
/// </summary>
/// <param name="Status">The status.</param>
/// <param name="EventType">The terminal CloudEvent type; null while the job can still change (the status is not final).</param>
/// <param name="IsFailure">The job did not do what was asked: the drop tool exits 1, a drop's blob is marked with the error.</param>
/// <param name="Colour">The background of the status badge in the job and recent-jobs pages.</param>
/// <param name="DropMarksError">A drop ending this way writes the job's error code and message onto its source blob.</param>
public sealed record JobOutcome(JobStatus Status, string? EventType, bool IsFailure, string Colour, bool DropMarksError)
{
    /// <summary>Its JSON name (snake_case): the API, events, query strings, drop marks and CSS classes.</summary>
    public string Name { get; } = JsonNamingPolicy.SnakeCaseLower.ConvertName(Status.ToString());

    /// <summary>Final: nothing changes the job any more, and its terminal event is <see cref="EventType"/>.</summary>
    public bool IsFinal => EventType is not null;

    /// <summary>The terminal event id's suffix (<c>{jobId}.{suffix}</c>): the type's last segment, lower case.</summary>
    public string? EventIdSuffix => EventType is null ? null : EventType[(EventType.LastIndexOf('.') + 1)..].ToLowerInvariant();
}

/// <summary>
/// The one table of job outcomes. A new way for a job to end is a <see cref="JobStatus"/> member and a row here, with its
/// CloudEvent type (<see cref="JobEventPublisher"/> takes its type constants from here); every list of statuses reads this.
/// </summary>
public static class JobOutcomes
{
    public const string CompletedEventType = "Seedream.ImageSeries.Completed";
    public const string FailedEventType = "Seedream.ImageSeries.Failed";
    public const string CancelledEventType = "Seedream.ImageSeries.Cancelled";
    public const string ExpiredEventType = "Seedream.ImageSeries.Expired";

    /// <summary>Every status this version knows, in lifecycle order (not <see cref="JobStatus.Unknown"/>).</summary>
    public static IReadOnlyList<JobOutcome> All { get; } =
    [
        new(JobStatus.Queued, EventType: null, IsFailure: false, Colour: "#6e7781", DropMarksError: false),
        new(JobStatus.Running, EventType: null, IsFailure: false, Colour: "#0969da", DropMarksError: false),
        new(JobStatus.Succeeded, CompletedEventType, IsFailure: false, Colour: "#1a7f37", DropMarksError: false),
        new(JobStatus.PartiallySucceeded, CompletedEventType, IsFailure: false, Colour: "#9a6700", DropMarksError: false),
        new(JobStatus.Failed, FailedEventType, IsFailure: true, Colour: "#cf222e", DropMarksError: true),
        new(JobStatus.Cancelled, CancelledEventType, IsFailure: false, Colour: "#57606a", DropMarksError: false),
        new(JobStatus.Expired, ExpiredEventType, IsFailure: true, Colour: "#cf222e", DropMarksError: false),
    ];

    /// <summary>A status written by a newer version (rolling deploys): not final, no event, shown grey.</summary>
    public static JobOutcome Unknown { get; } = new(JobStatus.Unknown, EventType: null, IsFailure: false, Colour: "#6e7781", DropMarksError: false);

    private static readonly Dictionary<JobStatus, JobOutcome> s_byStatus = All.ToDictionary(o => o.Status);
    private static readonly Dictionary<string, JobOutcome> s_byName = All.ToDictionary(o => o.Name, StringComparer.Ordinal);

    public static JobOutcome Of(JobStatus status) => s_byStatus.GetValueOrDefault(status, Unknown);

    /// <summary>The row of a JSON name; <see cref="Unknown"/> for a name this version does not know.</summary>
    public static JobOutcome Of(string? name) => s_byName.GetValueOrDefault(name ?? string.Empty, Unknown);

    public static bool IsKnown(string? name) => s_byName.ContainsKey(name ?? string.Empty);

    public static bool IsFinal(JobStatus status) => Of(status).IsFinal;

    /// <summary>For tools that see only the name (the drop tool polls blob metadata): final when this version knows it as final.</summary>
    public static bool IsFinal(string? name) => Of(name).IsFinal;

    /// <summary><c>.status-{name} { background: … }</c> for every status, the views' badge colours.</summary>
    public static string StatusStyles { get; } = string.Join('\n', All.Append(Unknown).Select(o => $".status-{o.Name} {{ background: {o.Colour}; }}")) + "\n";
}
