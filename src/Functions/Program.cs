using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Seedream.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();

// The Application Insights logger provider only passes warnings by default; let the app's log levels decide instead,
// so a job's Information lines (ended, event published) reach Application Insights.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var warningsOnly = options.Rules.FirstOrDefault(rule =>
        rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (warningsOnly is not null)
    {
        options.Rules.Remove(warningsOnly);
    }
});

// In Azure the Application Insights resource accepts only Entra ID-authenticated telemetry (local auth is disabled in
// infra/), and the worker's SDK does not read APPLICATIONINSIGHTS_AUTHENTICATION_STRING by itself: hand it the identity.
if (ApplicationInsightsAuthentication.TryCreateCredential(builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]) is { } telemetryCredential)
{
    builder.Services.Configure<TelemetryConfiguration>(configuration => configuration.SetAzureTokenCredential(telemetryCredential));
}

builder.Services.AddSeedreamPipeline(builder.Configuration);
builder.Build().Run();
