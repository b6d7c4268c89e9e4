using System.Diagnostics;
using System.Reflection;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using SeedreamEmulator;
using EventGridReceiver;
using Seedream.Testing;

namespace Seedream.RealHost.Tests;

/// <summary>
/// The app (src/Functions build output) under the real Azure Functions host, started by the runner named in
/// <c>REAL_FUNC_HOST_RUNNER</c> (run-real-host.sh: a runner built from the host's public source; see tests/RealHost.Tests/README.md), with the
/// Seedream emulator and an Event Grid receiver in this process. Without the variable nothing starts and every test
/// reports itself skipped.
/// </summary>
public sealed class RealHostFixture : IAsyncLifetime
{
    public const string RunnerVariable = "REAL_FUNC_HOST_RUNNER";

    public const string SkipReason = $"{RunnerVariable} is not set: these tests run the app under the real Azure Functions host (see tests/RealHost.Tests/README.md); CI cannot build it.";

    public const string Key = "realhost-tests-key-0123456789abcdef";

    /// <summary>The secret the app signs callbacks with here (a test verifies the signature with it).</summary>
    public const string WebhookSecret = "whsec_cmVhbGhvc3QtdGVzdHMtd2ViaG9vay1zZWNyZXQ=";

    private readonly StringBuilder _runnerOutput = new();
    private Process? _runner;

    public static string? Runner => Environment.GetEnvironmentVariable(RunnerVariable) is { Length: > 0 } runner ? runner : null;

    public Uri ApiBaseUrl { get; private set; } = null!;
    public string HostLogPath { get; private set; } = null!;
    public string StorageConnectionString { get; private set; } = null!;
    public SeedreamEmulatorServer Emulator { get; private set; } = null!;
    public EventGridReceiverServer Events { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public QueueClient Queue(string name, QueueMessageEncoding encoding = QueueMessageEncoding.Base64) =>
        new(StorageConnectionString, name, new QueueClientOptions { MessageEncoding = encoding });

    public BlobServiceClient Blobs => new(StorageConnectionString);

    public Uri Url(string pathAndQuery, bool withKey = true)
    {
        var url = new Uri(ApiBaseUrl, pathAndQuery).AbsoluteUri;
        return new Uri(withKey ? url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "code=" + Key : url);
    }

    /// <summary>The app's build output, which the runner hands to the host.</summary>
    public static string AppDirectory => Path.Combine(RepositoryPaths.Root, "src", "Functions", "bin",
        typeof(RealHostFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release", "net10.0");

    /// <summary>The .NET worker the host started for this app (its working directory is the app's folder).</summary>
    public static Process? Worker()
    {
        foreach (var process in Process.GetProcesses())
        {
            try
            {
                var commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ');
                var directory = new DirectoryInfo($"/proc/{process.Id}/cwd").LinkTarget;
                if (commandLine.Contains("--workerId", StringComparison.Ordinal) && commandLine.Contains("Seedream.Functions.dll", StringComparison.Ordinal)
                    && string.Equals(directory?.TrimEnd('/'), AppDirectory.TrimEnd('/'), StringComparison.Ordinal))
                {
                    return process;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone, or not ours
            }

            process.Dispose();
        }

        return null;
    }

    public string HostLog()
    {
        using var stream = new FileStream(HostLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public async Task InitializeAsync()
    {
        if (Runner is not { } runner)
        {
            return;
        }

        Emulator = await SeedreamEmulatorServer.StartAsync(options =>
        {
            options.ExternalReferences = ExternalReferenceMode.Substitute;
            options.ImageDelay = TimeSpan.FromSeconds(3); // a series takes seconds, so a worker can be killed mid-job
        });
        Events = await EventGridReceiverServer.StartAsync(eventLog: TextWriter.Null);
        var app = AppDirectory;
        var port = FreePorts.Take(1)[0];
        var start = new ProcessStartInfo(runner, [app, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["REAL_FUNC_HOST_KEY"] = Key;
        start.Environment["Seedream__BaseUrls__0"] = Emulator.GatewayBaseUrl.AbsoluteUri;
        start.Environment["Seedream__ApiKey"] = Emulator.ApiKey;
        start.Environment["EventGrid__TopicEndpoint"] = Events.TopicEndpoint.AbsoluteUri;
        start.Environment["EventGrid__TopicKey"] = Events.Key;
        start.Environment["Intake__PoisonSweepInterval"] = "00:00:05";
        // A killed worker's job lease (15 min by default, longer than a Seedream request) is what a redelivery waits for:
        // short here, so the crash test sees the job resume within a minute.
        start.Environment["Seedream__RequestTimeout"] = "00:00:30";
        start.Environment["Pipeline__LeaseDuration"] = "00:00:40";
        // Callbacks to the test's loopback receiver (local runs only), signed with a secret the test knows.
        start.Environment["Intake__AllowLoopbackReferences"] = "true";
        start.Environment["Webhooks__SigningSecrets__0"] = WebhookSecret;
        // A finished batch is noticed at its next recount: seconds here, not the default 30.
        start.Environment["Batches__CheckInterval"] = "00:00:02";
        _runner = Process.Start(start)!;
        var connection = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var baseUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _runner.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not { } text)
            {
                return;
            }

            lock (_runnerOutput)
            {
                _runnerOutput.AppendLine(text);
            }

            if (text.StartsWith("http://", StringComparison.Ordinal))
            {
                baseUrl.TrySetResult(text);
            }
            else if (text.StartsWith("AZURITE_CONNECTION_STRING=", StringComparison.Ordinal))
            {
                connection.TrySetResult(text["AZURITE_CONNECTION_STRING=".Length..]);
            }
        };
        _runner.ErrorDataReceived += (_, line) =>
        {
            lock (_runnerOutput)
            {
                _runnerOutput.AppendLine(line.Data);
            }
        };
        _runner.BeginOutputReadLine();
        _runner.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        ApiBaseUrl = new Uri((await baseUrl.Task.WaitAsync(timeout.Token)).TrimEnd('/') + "/");
        StorageConnectionString = await connection.Task.WaitAsync(timeout.Token);
        HostLogPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runner))!, "run", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "logs", "host.log");
        while (true)
        {
            if (_runner.HasExited)
            {
                throw new InvalidOperationException($"The real host runner exited ({_runner.ExitCode}):\n{RunnerOutput}");
            }

            try
            {
                using var probe = await Http.GetAsync(Url("openapi.json", withKey: false), timeout.Token);
                if (probe.IsSuccessStatusCode && HostLog().Contains("Job host started", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(500, timeout.Token);
        }
    }

    public string RunnerOutput
    {
        get
        {
            lock (_runnerOutput)
            {
                return _runnerOutput.ToString();
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_runner is { HasExited: false })
        {
            // TERM: the runner ends the host, its worker and Azurite.
            Process.Start("kill", ["-TERM", _runner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!_runner.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _runner.Kill(entireProcessTree: true);
            }
        }

        _runner?.Dispose();
        Http.Dispose();
        if (Runner is not null)
        {
            await Emulator.DisposeAsync();
            await Events.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealHostCollection : ICollectionFixture<RealHostFixture>
{
    public const string Name = "real Functions host";
}
