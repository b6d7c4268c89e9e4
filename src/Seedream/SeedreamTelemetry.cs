namespace Seedream;

/// <summary>
/// Names under which the client reports traces and metrics, for exporters to subscribe to
/// (<c>tracing.AddSource(SeedreamTelemetry.ActivitySourceName)</c>, <c>metrics.AddMeter(SeedreamTelemetry.MeterName)</c>).
/// </summary>
/// <remarks>
/// Spans and metrics follow the OpenTelemetry GenAI semantic conventions where they apply: a generation is a
/// <c>generate_content {model}</c> client span (from the POST until the body is read or the response disposed) with
/// <c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>, <c>gen_ai.output.type</c>,
/// <c>gen_ai.usage.output_tokens</c>, <c>server.address</c>, <c>server.port</c> and <c>error.type</c>; the metrics
/// <c>gen_ai.client.operation.duration</c> and <c>gen_ai.client.token.usage</c>; and, specific to images,
/// <c>seedream.client.images</c> (by <c>seedream.image.outcome</c>) and <c>seedream.client.image.bytes</c>.
/// Prompts are recorded only when <see cref="SeedreamClientOptions.EnableSensitiveTelemetryData"/> is set.
/// </remarks>
public static class SeedreamTelemetry
{
    /// <summary>The package id, <c>Seedream</c>: the name of the client's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "Seedream";

    /// <summary>The package id, <c>Seedream</c>: the name of the client's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "Seedream";
}
