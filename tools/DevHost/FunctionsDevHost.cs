using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration.Memory;

namespace Seedream.DevHost;

/// <summary>
/// Development host: runs the app's function classes in one ASP.NET Core process where Azure Functions Core Tools are
/// not installed. Production runs on the Functions host; this host only mirrors what local runs need (HTTP and queue
/// triggers per docs/architecture.md §4, host.json queue and route settings, local.settings.json values).
/// </summary>
public static class FunctionsDevHost
{
    public const string DefaultUrls = "http://127.0.0.1:7071";

    public static WebApplication Build(string[] args, FunctionsDevHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var scriptRoot = options.ScriptRoot ?? DefaultScriptRoot();

        // The content root is the application directory: the script root may be a whole repository, not worth watching.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        // Precedence, lowest first: local.settings.json Values, then the builder's own sources (environment variables,
        // command line), then the options' explicit settings.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LocalSettings.LoadValues(Path.Combine(scriptRoot, "local.settings.json")) });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.WebHost.UseUrls(builder.Configuration["urls"] is { Length: > 0 } urls ? urls : DefaultUrls);
        var host = HostJsonSettings.Load(Path.Combine(scriptRoot, "host.json"));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        foreach (var (category, level) in host.LogLevels)
        {
            // host.json logging.logLevel: "default" is the minimum, other keys are category prefixes.
            builder.Logging.AddFilter(string.Equals(category, "default", StringComparison.OrdinalIgnoreCase) ? null : category, level);
        }
        var functions = FunctionCatalog.Discover(options.FunctionAssemblies);

        builder.Services.AddMvcCore();
        options.ConfigureServices?.Invoke(builder.Services, builder.Configuration);
        foreach (var function in functions.OfType<QueueFunctionDefinition>())
        {
            AddQueueListener(builder, function, host.Queues);
        }

        var app = builder.Build();
        app.MapHttpFunctions(functions.OfType<HttpFunctionDefinition>(), host.RoutePrefix);
        app.MapDiagnostics();
        return app;
    }

    private static void AddQueueListener(WebApplicationBuilder builder, QueueFunctionDefinition function, QueueListenerSettings settings)
    {
        // Resolved now so a missing setting stops the host at startup, naming the function.
        var queueName = AppSettingExpression.Resolve(function.Trigger.QueueName, builder.Configuration);
        var configuration = builder.Configuration;
        builder.Services.AddSingleton<IHostedService>(services =>
        {
            QueueFunctionListener? listener = null;
            var clientOptions = new QueueClientOptions { MessageEncoding = settings.Base64Encoding ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None };
            clientOptions.MessageDecodingFailed += async args =>
            {
                if (args.ReceivedMessage is { } raw && listener is not null)
                {
                    await listener.MoveUndecodableAsync(raw, args.CancellationToken).ConfigureAwait(false);
                }
            };

            listener = new QueueFunctionListener(
                function,
                QueueConnection.CreateServiceClient(function.Trigger.Connection, configuration, clientOptions),
                QueueConnection.CreateServiceClient(function.Trigger.Connection, configuration, new QueueClientOptions()),
                queueName,
                settings,
                services.GetRequiredService<IServiceScopeFactory>(),
                services.GetRequiredService<ILoggerFactory>());
            return listener;
        });
    }

    private static string DefaultScriptRoot() =>
        File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "host.json")) ? Directory.GetCurrentDirectory() : AppContext.BaseDirectory;
}
