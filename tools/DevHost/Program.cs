using Seedream.DevHost;
using Seedream.Functions;
using Seedream.Functions.Telemetry;

// Development host: runs the app's function classes where Azure Functions Core Tools are not installed.
// Reads host.json and local.settings.json from the current directory (the repository root under ./run.sh).
var options = new FunctionsDevHostOptions
{
    ConfigureServices = (services, configuration) =>
    {
        services.AddSeedreamPipeline(configuration);
        services.AddPipelineOpenTelemetry(configuration); // Telemetry:Console / Telemetry:File (./run.sh --telemetry), as the worker
    },
};
options.FunctionAssemblies.Add(typeof(PipelineServiceCollectionExtensions).Assembly);

var app = FunctionsDevHost.Build(args, options);
await app.RunAsync();
