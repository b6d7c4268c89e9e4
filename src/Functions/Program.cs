using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Seedream.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<HttpFailureMiddleware>();
builder.Services.AddPipelineOpenTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Services.AddSeedreamPipeline(builder.Configuration);
builder.Build().Run();
