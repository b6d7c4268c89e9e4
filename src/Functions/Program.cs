using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Seedream.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Our log lines reach the Functions host only with this scope (workaround for
// https://github.com/Azure/azure-functions-dotnet-worker/issues/3489 and …/issues/3487; see the class).
builder.UseMiddleware<InvocationLogScopeMiddleware>();
builder.Services.AddPipelineOpenTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Services.AddSeedreamPipeline(builder.Configuration);
builder.Build().Run();
