using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Testing;

namespace Seedream.DevHost.Tests;

/// <summary>A development host over the sample functions of this assembly, with its own script root and queue names.</summary>
internal sealed class TestDevHost : IAsyncDisposable
{
    public const string HostJson = """
        {
          "version": "2.0",
          "logging": { "logLevel": { "default": "Information", "Azure.Core": "Warning" } },
          "extensions": {
            "http": { "routePrefix": "testapi" },
            "queues": {
              "batchSize": 4,
              "newBatchThreshold": 2,
              "maxPollingInterval": "00:00:00.200",
              "visibilityTimeout": "00:00:01",
              "maxDequeueCount": 3,
              "messageEncoding": "base64"
            }
          }
        }
        """;

    private readonly string _scriptRoot;

    private TestDevHost(string scriptRoot, WebApplication app, InvocationRecorder recorder, QueueServiceClient queues, string workQueue, string textQueue)
    {
        _scriptRoot = scriptRoot;
        App = app;
        Recorder = recorder;
        WorkQueue = queues.GetQueueClient(workQueue);
        WorkPoisonQueue = queues.GetQueueClient(workQueue + "-poison");
        TextQueue = queues.GetQueueClient(textQueue);
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/") };
    }

    public WebApplication App { get; }
    public InvocationRecorder Recorder { get; }
    public QueueClient WorkQueue { get; }
    public QueueClient WorkPoisonQueue { get; }
    public QueueClient TextQueue { get; }
    public HttpClient Http { get; }

    /// <param name="extraLocalSettings">Further local.settings.json Values.</param>
    public static async Task<TestDevHost> StartAsync(AzuriteFixture azurite, IDictionary<string, string>? extraLocalSettings = null)
    {
        var scriptRoot = Directory.CreateTempSubdirectory("devhost-tests-").FullName;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var workQueue = "work-" + suffix;
        var textQueue = "text-" + suffix;

        // The text queue name comes from local.settings.json, the rest from explicit settings: both are resolved.
        var values = new Dictionary<string, string> { ["SampleTextQueue"] = textQueue };
        foreach (var (name, value) in extraLocalSettings ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }

        await File.WriteAllTextAsync(Path.Combine(scriptRoot, "host.json"), HostJson);
        await File.WriteAllTextAsync(Path.Combine(scriptRoot, "local.settings.json"),
            System.Text.Json.JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));

        var recorder = new InvocationRecorder();
        var options = new FunctionsDevHostOptions
        {
            ScriptRoot = scriptRoot,
            ConfigureServices = (services, _) => services.AddSingleton(recorder),
        };
        options.FunctionAssemblies.Add(typeof(TestDevHost).Assembly);
        options.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
        options.Settings["SampleWorkQueue"] = workQueue;
        options.Settings["urls"] = "http://127.0.0.1:0";

        var app = FunctionsDevHost.Build([], options);
        await app.StartAsync();
        return new TestDevHost(scriptRoot, app, recorder, azurite.CreateQueueServiceClient(), workQueue, textQueue);
    }

    public async Task<IReadOnlyList<RecordedInvocation>> WaitForAsync(string function, string body, int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var recorded = Recorder.For(function, body);
            if (recorded.Count >= count)
            {
                return recorded;
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"{function} saw '{body}' {recorded.Count} time(s), expected {count}.");
            }

            await Task.Delay(25);
        }
    }

    public static async Task WaitUntilEmptyAsync(QueueClient queue, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while ((await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(25, deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(_scriptRoot, recursive: true);
    }
}
