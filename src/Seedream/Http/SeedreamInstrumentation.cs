using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json;

namespace Seedream.Http;

/// <summary>The client's ActivitySource and Meter, and the GenAI semantic-convention names it uses.</summary>
internal static class SeedreamInstrumentation
{
    public const string GenerateOperation = "generate_content";
    public const string ListModelsOperation = "list_models";

    private static readonly string? Version = typeof(SeedreamInstrumentation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(SeedreamTelemetry.ActivitySourceName, Version);
    public static readonly Meter Meter = new(SeedreamTelemetry.MeterName, Version);

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "Duration of a Seedream operation, the response body included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640] });

    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage", "{token}", "Tokens reported by the provider (output tokens: Σ W×H / 256).");

    public static readonly Counter<long> Images = Meter.CreateCounter<long>(
        "seedream.client.images", "{image}", "Images in responses, by outcome (succeeded: billed; failed: an error item of a group).");

    public static readonly Counter<long> ImageBytes = Meter.CreateCounter<long>(
        "seedream.client.image.bytes", "By", "Image bytes handed to callers (decoded b64_json and downloads).");

    public static Activity? StartGeneration(ImageGenerationRequest request, Uri endpoint, bool recordPrompt)
    {
        var activity = Source.StartActivity($"{GenerateOperation} {request.Model}", ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("gen_ai.operation.name", GenerateOperation);
        activity.SetTag("gen_ai.request.model", request.Model);
        activity.SetTag("gen_ai.output.type", "image");
        activity.SetTag("server.address", endpoint.Host);
        activity.SetTag("server.port", endpoint.Port);
        activity.SetTag("seedream.request.stream", request.IsStreaming);
        if (request.SequentialImageGenerationOptions?.MaxImages is { } maxImages)
        {
            activity.SetTag("seedream.request.max_images", maxImages);
        }

        if (recordPrompt && request.Prompt is { } prompt)
        {
            activity.SetTag("gen_ai.input.messages", JsonSerializer.Serialize(
                new[] { new { role = "user", parts = new[] { new { type = "text", content = prompt } } } }));
        }

        return activity;
    }

    public static TagList Tags(string operation, string? requestModel, Uri endpoint)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "server.address", endpoint.Host },
            { "server.port", endpoint.Port },
        };
        if (requestModel is not null)
        {
            tags.Add("gen_ai.request.model", requestModel);
        }

        return tags;
    }

    public static string ErrorType(Exception exception) =>
        exception is SeedreamException { ErrorCode: { } code } ? code
        : exception is OperationCanceledException ? "cancelled"
        : exception.GetType().FullName ?? exception.GetType().Name;

    public static void RecordFailure(Activity? activity, TagList tags, long startTimestamp, Exception exception)
    {
        var errorType = ErrorType(exception);
        tags.Add("error.type", errorType);
        OperationDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        if (activity is not null)
        {
            activity.SetTag("error.type", errorType);
            if (exception is SeedreamException { Status: > 0 } seedream)
            {
                activity.SetTag("http.response.status_code", seedream.Status);
            }

            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.Dispose();
        }
    }
}

/// <summary>The span and measurements of one generation, finished when its response has been read or disposed.</summary>
internal sealed class GenerationTelemetry(Activity? activity, TagList tags, long startTimestamp)
{
    private int _succeeded;
    private int _failed;
    private int _finished;

    public Activity? Activity => activity;

    public void ImageSeen(GeneratedImage image)
    {
        if (image.Succeeded)
        {
            _succeeded++;
        }
        else
        {
            _failed++;
        }
    }

    /// <summary>Once: the body was read to the end (<paramref name="failure"/> null), failed, or was abandoned.</summary>
    public void Finish(string? responseModel, ImageGenerationUsage? usage, Exception? failure, bool abandoned = false)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        var metricTags = tags;
        if (responseModel is not null)
        {
            metricTags.Add("gen_ai.response.model", responseModel);
        }

        if (failure is not null)
        {
            metricTags.Add("error.type", SeedreamInstrumentation.ErrorType(failure));
        }

        SeedreamInstrumentation.OperationDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, metricTags);
        if (usage is not null)
        {
            var tokenTags = metricTags;
            tokenTags.Add("gen_ai.token.type", "output");
            SeedreamInstrumentation.TokenUsage.Record(usage.OutputTokens, tokenTags);
        }

        if (_succeeded > 0)
        {
            var imageTags = metricTags;
            imageTags.Add("seedream.image.outcome", "succeeded");
            SeedreamInstrumentation.Images.Add(_succeeded, imageTags);
        }

        if (_failed > 0)
        {
            var imageTags = metricTags;
            imageTags.Add("seedream.image.outcome", "failed");
            SeedreamInstrumentation.Images.Add(_failed, imageTags);
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.response.model", responseModel);
        activity.SetTag("seedream.response.images", _succeeded);
        activity.SetTag("seedream.response.failed_images", _failed);
        if (usage is not null)
        {
            activity.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
            activity.SetTag("seedream.usage.generated_images", usage.GeneratedImages);
        }

        if (failure is not null)
        {
            activity.SetTag("error.type", SeedreamInstrumentation.ErrorType(failure));
            activity.SetStatus(ActivityStatusCode.Error, failure.Message);
        }
        else if (abandoned)
        {
            // The caller stopped reading: not an error of the service, but the counts above are partial.
            activity.SetTag("seedream.response.abandoned", true);
        }

        activity.Dispose();
    }
}
