using System.Globalization;
using System.Text.Json.Nodes;
using EventGridReceiver;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Seedream.DevHost;
using Seedream.Functions;
using Seedream.Testing;

namespace Seedream.Benchmarks;

/// <summary>
/// The local stack: the app's function classes on the development host (in this process, queue listeners running),
/// Azurite, the emulator in its own process and an Event Grid receiver. host.json is the repository's, with logging
/// at Warning (console output would dominate the figures) and the given queue overrides; app settings may be overridden.
/// </summary>
internal sealed class LocalStack : IAsyncDisposable
{
    private readonly string _scriptRoot;

    private LocalStack(string scriptRoot, AzuriteInstance azurite, EmulatorProcess emulator, EventGridReceiverServer eventGrid, WebApplication app, Uri baseAddress)
    {
        _scriptRoot = scriptRoot;
        Azurite = azurite;
        Emulator = emulator;
        EventGrid = eventGrid;
        App = app;
        BaseAddress = baseAddress;
    }

    public AzuriteInstance Azurite { get; }

    public EmulatorProcess Emulator { get; }

    public EventGridReceiverServer EventGrid { get; }

    public WebApplication App { get; }

    /// <summary>The development host, e.g. http://127.0.0.1:41234/ (routes under api/).</summary>
    public Uri BaseAddress { get; }

    public static async Task<LocalStack> StartAsync(
        IReadOnlyDictionary<string, string> emulatorSettings, IReadOnlyDictionary<string, string> queueSettings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? appSettings = null)
    {
        var scriptRoot = Directory.CreateTempSubdirectory("seedream-bench-host-").FullName;
        await WriteHostJsonAsync(scriptRoot, queueSettings, cancellationToken).ConfigureAwait(false);

        var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        var emulator = await EmulatorProcess.StartAsync(emulatorSettings, cancellationToken).ConfigureAwait(false);
        var eventGrid = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null, cancellationToken: cancellationToken).ConfigureAwait(false);
        var port = FreePorts.Take(1)[0];
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var options = new FunctionsDevHostOptions
        {
            ScriptRoot = scriptRoot,
            ConfigureServices = (services, configuration) =>
            {
                services.AddSeedreamPipeline(configuration);
                services.RemoveAll<ILoggerProvider>();
            },
        };
        foreach (var (name, value) in PipelineSettings(azurite, emulator, eventGrid).Concat(appSettings ?? new Dictionary<string, string>()))
        {
            options.Settings[name] = value;
        }

        options.FunctionAssemblies.Add(typeof(PipelineServiceCollectionExtensions).Assembly);
        var app = FunctionsDevHost.Build(["--urls", baseAddress.GetLeftPart(UriPartial.Authority)], options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new LocalStack(scriptRoot, azurite, emulator, eventGrid, app, baseAddress);
    }

    /// <summary>The app settings that point the pipeline at this machine's Azurite, emulator and Event Grid receiver.</summary>
    public static Dictionary<string, string> PipelineSettings(AzuriteInstance azurite, EmulatorProcess emulator, EventGridReceiverServer eventGrid) => new()
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["GenerationRequestsQueue"] = "generation-requests",
        ["InboxEventsQueue"] = "inbox-events",
        ["WebhookDeliveriesQueue"] = "webhook-deliveries",
        ["BatchControlQueue"] = "batch-control",
        ["BatchGenerationRequestsQueue"] = "batch-generation-requests",
        // The local emulator enforces no rate limit unless told to: no pacing budget (the scale-out benchmark sets its own).
        ["Pacing:Mode"] = "Deferral",
        ["ImagesContainer"] = "images",
        ["JobsContainer"] = "jobs",
        ["InboxContainer"] = "inbox",
        ["Seedream:BaseUrls:0"] = emulator.GatewayBaseUrl.ToString(),
        ["Seedream:ApiKey"] = EmulatorProcess.ApiKey,
        ["Seedream:Downloads:AllowPrivateNetworks"] = "true",
        ["Seedream:Downloads:AllowHttp"] = "true",
        ["EventGrid:TopicEndpoint"] = eventGrid.TopicEndpoint.ToString(),
        ["EventGrid:TopicKey"] = eventGrid.Key,
    };

    /// <summary>The repository's host.json with logging at Warning (console output would dominate the figures) and <paramref name="queueSettings"/> over <c>extensions.queues</c>.</summary>
    public static async Task WriteHostJsonAsync(string scriptRoot, IReadOnlyDictionary<string, string> queueSettings, CancellationToken cancellationToken)
    {
        var hostJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "host.json"), cancellationToken).ConfigureAwait(false))!;
        hostJson["logging"]!["logLevel"] = new JsonObject { ["default"] = "Warning" };
        foreach (var (name, value) in queueSettings)
        {
            hostJson["extensions"]!["queues"]![name] = value;
        }

        await File.WriteAllTextAsync(Path.Combine(scriptRoot, "host.json"), hostJson.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        await EventGrid.DisposeAsync().ConfigureAwait(false);
        await Emulator.DisposeAsync().ConfigureAwait(false);
        await Azurite.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_scriptRoot, recursive: true);
    }
}
