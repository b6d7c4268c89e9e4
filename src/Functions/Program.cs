using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Seedream.Functions;
using Seedream.Functions.Http;
using Seedream.Functions.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Our log lines reach the Functions host only with this scope (workaround for
// https://github.com/Azure/azure-functions-dotnet-worker/issues/3489 and …/issues/3487; see the class).
builder.UseMiddleware<InvocationLogScopeMiddleware>();
builder.UseMiddleware<HttpFailureMiddleware>();
builder.Services.AddPipelineOpenTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Services.AddSeedreamPipeline(builder.Configuration);
// host.json's levels do not reach the worker, and the host files worker lines under "Function.<name>.User", where its
// own "System.Net.Http.HttpClient"/"Polly" levels no longer match: quiet them here, so the console shows job steps.
builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning)
    .AddFilter("Azure.Core", LogLevel.Warning).AddFilter("Azure.Storage", LogLevel.Warning);
// The host drops lines outside an invocation (background services); their warnings go to standard output, which the
// host logs as Host.Function.Console (https://github.com/Azure/azure-functions-dotnet-worker/issues/702; see the class).
builder.Logging.AddBackgroundLinesForHostConsole();
builder.Build().Run();
