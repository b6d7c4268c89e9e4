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

builder.Services.AddSeedreamPipeline(builder.Configuration);
builder.Build().Run();
