using System.Diagnostics;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Tests;

/// <summary>
/// Watches one harness's pipeline through its telemetry (the <c>Seedream.Functions</c> activities), the way an
/// operator's tracing would: callbacks run synchronously when a span ends, so a test can "crash" the worker at that
/// point (cancel its token, or throw). Only spans of this harness's image container are reported.
/// </summary>
public sealed class PipelineObserver : IDisposable
{
    private readonly string _imagesPrefix;
    private readonly ActivityListener _listener;

    public PipelineObserver(Uri imagesContainer)
    {
        _imagesPrefix = imagesContainer.AbsoluteUri.TrimEnd('/') + "/";
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = OnStarted,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Called with (job id, index) once an image is in its blob and recorded on the job, before anything else happens.</summary>
    public Action<string, int>? ImageStored { get; set; }

    /// <summary>Called with the job id when a delivery starts its Seedream call span, just before the billed request is sent.</summary>
    public Action<string>? SeedreamCallStarting { get; set; }

    public void Dispose() => _listener.Dispose();

    private void OnStarted(Activity activity)
    {
        if (activity.OperationName == PipelineTelemetry.SeedreamGenerateActivity && SeedreamCallStarting is { } starting)
        {
            starting((string)activity.GetTagItem(PipelineTelemetry.JobIdTag)!);
        }
    }

    private void OnStopped(Activity activity)
    {
        if (activity.OperationName == PipelineTelemetry.StoreImageActivity
            && activity.GetTagItem(PipelineTelemetry.ImageUrlTag) is string url && url.StartsWith(_imagesPrefix, StringComparison.Ordinal)
            && ImageStored is { } imageStored)
        {
            imageStored((string)activity.GetTagItem(PipelineTelemetry.JobIdTag)!, Convert.ToInt32(activity.GetTagItem(PipelineTelemetry.ImageIndexTag), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
