using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Telemetry;

/// <summary>
/// OpenTelemetry for the app, in both hosts: the pipeline's and the Seedream client's sources and meters (<c>Seedream*</c>),
/// outgoing HTTP, the Azure SDK, and incoming requests where the host is ASP.NET Core (the development host). Exports to
/// Application Insights in Azure and, when asked, to the console or a JSON-lines file. Program.cs adds
/// <c>UseFunctionsWorkerDefaults()</c> on the returned builder; the Functions host must run with <c>telemetryMode: OpenTelemetry</c>.
/// </summary>
public static class PipelineOpenTelemetryExtensions
{
    /// <summary>The pipeline's source and meter (<see cref="PipelineTelemetry.ActivitySourceName"/>) and the client's, whose name starts with "Seedream" too.</summary>
    public const string SeedreamSources = "Seedream*";

    /// <summary>Azure SDK clients' sources (storage, Event Grid, identity); they publish only with the experimental switch on.</summary>
    public const string AzureSdkSources = "Azure.*";

    /// <summary>ASP.NET Core's incoming request spans (the development host serves HTTP itself).</summary>
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    private const string MetricExportIntervalSetting = "Telemetry:MetricExportIntervalMilliseconds";

    public static IOpenTelemetryBuilder AddPipelineOpenTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = TelemetryExportOptions.From(configuration);
        var metricInterval = configuration.GetValue(MetricExportIntervalSetting, 10_000);
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);

        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["WEBSITE_SITE_NAME"] ?? "seedream-functions"))
            .WithTracing(tracing => tracing
                .AddSource(PipelineTelemetry.ActivitySourceName, SeedreamSources, AzureSdkSources, AspNetCoreSource)
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(PipelineTelemetry.ActivitySourceName, SeedreamSources)
                .AddHttpClientInstrumentation());

        if (options.ApplicationInsightsConnectionString is { } connectionString)
        {
            // Application Insights accepts Entra ID-authenticated telemetry only (infra/ disables local auth).
            var credential = ApplicationInsightsAuthentication.TryCreateCredential(options.ApplicationInsightsAuthentication);
            builder.UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                exporter.Credential = credential;
            });
        }

        if (options.Console)
        {
            builder
                .WithTracing(tracing => tracing.AddConsoleExporter())
                .WithMetrics(metrics => metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = metricInterval));
        }

        if (options.File is { } path)
        {
            services.TryAddSingleton(_ => new TelemetryFileWriter(path));
            builder
                .WithTracing(tracing => tracing.AddProcessor(provider =>
                    new SimpleActivityExportProcessor(new JsonLinesActivityExporter(provider.GetRequiredService<TelemetryFileWriter>()))))
                .WithMetrics(metrics => metrics.AddReader(provider =>
                    new PeriodicExportingMetricReader(new JsonLinesMetricExporter(provider.GetRequiredService<TelemetryFileWriter>()), metricInterval)));
        }

        return builder;
    }
}
