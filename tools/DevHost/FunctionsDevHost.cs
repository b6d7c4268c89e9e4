using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration.Memory;
using Seedream.Functions;
using Seedream.Functions.Telemetry;

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
        // This host only runs locally, so it is a Development environment unless told otherwise (as `func start` is).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = LocalEnvironmentName(),
        });

        // Precedence, lowest first: local.settings.json Values, then the builder's own sources (environment variables,
        // command line), then the options' explicit settings.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LocalSettings.LoadValues(Path.Combine(scriptRoot, "local.settings.json")) });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.WebHost.UseUrls(builder.Configuration["urls"] is { Length: > 0 } urls ? urls : DefaultUrls);
        var host = HostJsonSettings.Load(Path.Combine(scriptRoot, "host.json"));
        ConfigureLogging(builder, host);
        var functions = FunctionCatalog.Discover(options.FunctionAssemblies);

        builder.Services.AddMvcCore();
        options.ConfigureServices?.Invoke(builder.Services, builder.Configuration);
        foreach (var function in functions.OfType<QueueFunctionDefinition>())
        {
            AddQueueListener(builder, function, host.Queues with { MessageLease = builder.Configuration.GetValue<TimeSpan?>(QueueListenerSettings.MessageLeaseSetting) });
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

    /// <summary>
    /// The category of a function's invocation lines, as the Functions host names it (<c>Function.{name}</c>), so that
    /// host.json levels such as <c>"Function.GetGeneration": "Warning"</c> mean the same on both hosts.
    /// </summary>
    public static string FunctionLogCategory(string functionName) => "Function." + functionName;

    /// <summary>The environment variable that overrides one host.json log level, as on the Functions host.</summary>
    public const string LogLevelOverrideSection = "AzureFunctionsJobHost:logging:logLevel";

    private static void ConfigureLogging(WebApplicationBuilder builder, HostJsonSettings host)
    {
        // One line per entry: a job's steps read as a list, not as pairs of header and message lines.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        ShowWhatTheFunctionsHostShows(builder);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // host.json logging.logLevel: "default" is the minimum, other keys are category prefixes (the most specific
        // wins). Settings named AzureFunctionsJobHost__logging__logLevel__<category> override them, as on the
        // Functions host; `./run.sh --verbose` uses that.
        var levels = new Dictionary<string, LogLevel>(host.LogLevels, StringComparer.OrdinalIgnoreCase);
        foreach (var setting in builder.Configuration.GetSection(LogLevelOverrideSection).GetChildren())
        {
            levels[setting.Key] = Enum.TryParse<LogLevel>(setting.Value, ignoreCase: true, out var level)
                ? level
                : throw new InvalidOperationException($"{LogLevelOverrideSection}:{setting.Key} '{setting.Value}' is not a log level.");
        }

        foreach (var (category, level) in levels)
        {
            builder.Logging.AddFilter(string.Equals(category, "default", StringComparison.OrdinalIgnoreCase) ? null : category, level);
        }
    }

    /// <summary>Shows the app's lines outside an invocation only as the Functions host does, unless this setting is true.</summary>
    public const string ShowBackgroundLinesSetting = "DevHost:ShowBackgroundLines";

    /// <summary>Categories of this host's own lines (the Functions host's own lines are always shown).</summary>
    private static readonly string[] s_hostCategories = ["Function.", "Seedream.DevHost", "Microsoft.Hosting.", "Microsoft.Extensions.Hosting", "Microsoft.AspNetCore"];

    /// <summary>
    /// The Functions host shows an app line outside an invocation only from a warning up (HostConsoleLines): a
    /// background service's information line printed here would be a line nobody sees in Azure. The console logger is
    /// wrapped so that those lines are dropped, or printed marked when <see cref="ShowBackgroundLinesSetting"/> is true.
    /// </summary>
    private static void ShowWhatTheFunctionsHostShows(WebApplicationBuilder builder)
    {
        var showAll = builder.Configuration.GetValue<bool>(ShowBackgroundLinesSetting);
        builder.Logging.FilterConsoleByInvocation((category, level, insideInvocation) =>
            s_hostCategories.Any(prefix => category.StartsWith(prefix, StringComparison.Ordinal)) || HostConsoleLines.ShownByHost(level, insideInvocation) ? LineVerdict.Write
            : showAll ? LineVerdict.WriteMarked
            : LineVerdict.Drop);
    }

    private static string LocalEnvironmentName() =>
        Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspNetCore ? aspNetCore
        : Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? dotnet
        : Environments.Development;

    private static string DefaultScriptRoot() =>
        File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "host.json")) ? Directory.GetCurrentDirectory() : AppContext.BaseDirectory;
}
