using System.Diagnostics;

namespace Seedream.Functions.Configuration;

/// <summary>One trace per job: the submission's W3C trace context is carried in the job and parents all of its work.</summary>
public static class PipelineTelemetry
{
    public const string ActivitySourceName = "Seedream.Functions";

    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName);

    /// <summary>An HTTP submission: reading the request, creating the job and enqueueing it (parent of the job's work).</summary>
    public const string SubmitGenerationActivity = "SubmitGeneration";

    /// <summary>A delivery of the job's queue message working on it (parent: the submission's trace context).</summary>
    public const string ProcessGenerationActivity = "ProcessGeneration";

    /// <summary>A poison-queue delivery ending the job.</summary>
    public const string AbandonGenerationActivity = "AbandonGeneration";

    /// <summary>The paid Seedream call, from sending it until its answer is read and stored (parent of each <c>StoreImage</c>).</summary>
    public const string SeedreamGenerateActivity = "SeedreamGenerate";

    /// <summary>One image streamed into its blob and recorded on the job.</summary>
    public const string StoreImageActivity = "StoreImage";

    /// <summary>One CloudEvent sent to Event Grid.</summary>
    public const string PublishEventActivity = "PublishEvent";

    /// <summary>A cancel request applied to the job.</summary>
    public const string CancelGenerationActivity = "CancelGeneration";

    public const string JobIdTag = "seedream.job.id";
    public const string ImageIndexTag = "seedream.image.index";
    public const string ImageBytesTag = "seedream.image.bytes";
    public const string ImageUrlTag = "seedream.image.url";
    public const string JobStatusTag = "seedream.job.status";
    public const string ModelTag = "seedream.model";
    public const string EventTypeTag = "cloudevents.event_type";
    public const string EventIdTag = "cloudevents.event_id";

    /// <summary>The trace context to hand on: the current activity's, else the caller's header, else a new root.</summary>
    public static string CurrentOrNewTraceParent(string? incomingTraceParent)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            return current.Id!;
        }

        if (incomingTraceParent is not null && ActivityContext.TryParse(incomingTraceParent, null, out _))
        {
            return incomingTraceParent;
        }

        return $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
    }

    /// <summary>Starts the activity for a piece of a job's work as a child of the job's trace context.</summary>
    public static Activity StartJobActivity(string name, string jobId, string? traceParent, ActivityKind kind = ActivityKind.Consumer)
    {
        var activity = StartActivity(name, traceParent, kind);
        activity.SetTag(JobIdTag, jobId);
        return activity;
    }

    /// <summary>Starts an activity as a child of <paramref name="traceParent"/>, listened to or not.</summary>
    public static Activity StartActivity(string name, string? traceParent, ActivityKind kind)
    {
        var parent = traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        // Without a listener on this source an activity is still needed: it makes the job's trace current, so the
        // HTTP client, the storage SDK and the event publisher all continue it instead of the invocation's trace.
        return ActivitySource.StartActivity(name, kind, parent) ?? StartUnlistened(name, parent);
    }

    private static Activity StartUnlistened(string name, ActivityContext parent)
    {
        var activity = new Activity(name);
        if (parent != default)
        {
            activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
        }

        return activity.Start();
    }
}
