using System.Globalization;
using System.Text.Json;

namespace Seedream.DevHost;

/// <summary>The parts of host.json the development host honours, with the Functions host's defaults.</summary>
public sealed record HostJsonSettings(string RoutePrefix, QueueListenerSettings Queues, IReadOnlyDictionary<string, LogLevel> LogLevels)
{
    public static HostJsonSettings Default { get; } = new("api", QueueListenerSettings.Default, new Dictionary<string, LogLevel>());

    public static HostJsonSettings Load(string path)
    {
        if (!File.Exists(path))
        {
            return Default;
        }

        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return Parse(document.RootElement, path);
    }

    private static HostJsonSettings Parse(JsonElement root, string path)
    {
        var extensions = Property(root, "extensions");
        var http = extensions is { } e ? Property(e, "http") : null;
        var queues = extensions is { } q ? Property(q, "queues") : null;

        var routePrefix = http is { } h && Property(h, "routePrefix") is { ValueKind: JsonValueKind.String } prefix
            ? prefix.GetString()!.Trim('/')
            : Default.RoutePrefix;

        var logLevels = new Dictionary<string, LogLevel>(StringComparer.OrdinalIgnoreCase);
        if (Property(root, "logging") is { } logging && Property(logging, "logLevel") is { ValueKind: JsonValueKind.Object } levels)
        {
            foreach (var level in levels.EnumerateObject())
            {
                logLevels[level.Name] = Enum.TryParse<LogLevel>(level.Value.GetString(), ignoreCase: true, out var parsed)
                    ? parsed
                    : throw new InvalidOperationException($"{path}: logging.logLevel.{level.Name} '{level.Value}' is not a log level.");
            }
        }

        var defaults = QueueListenerSettings.Default;
        if (queues is not { } section)
        {
            return new HostJsonSettings(routePrefix, defaults, logLevels);
        }

        var batchSize = Int(section, "batchSize") ?? defaults.BatchSize;
        if (batchSize is < 1 or > 32)
        {
            throw new InvalidOperationException($"{path}: extensions.queues.batchSize must be 1-32, was {batchSize}.");
        }

        var encoding = String(section, "messageEncoding")?.ToLowerInvariant() ?? "base64";
        if (encoding is not ("base64" or "none"))
        {
            throw new InvalidOperationException($"{path}: extensions.queues.messageEncoding must be 'base64' or 'none', was '{encoding}'.");
        }

        return new HostJsonSettings(routePrefix, new QueueListenerSettings(
            BatchSize: batchSize,
            NewBatchThreshold: Int(section, "newBatchThreshold") ?? QueueListenerSettings.DefaultNewBatchThreshold(batchSize),
            MaxPollingInterval: Duration(section, "maxPollingInterval", path) ?? defaults.MaxPollingInterval,
            VisibilityTimeout: Duration(section, "visibilityTimeout", path) ?? defaults.VisibilityTimeout,
            MaxDequeueCount: Int(section, "maxDequeueCount") ?? defaults.MaxDequeueCount,
            Base64Encoding: encoding == "base64"),
            logLevels);
    }

    // host.json property names are case-insensitive for the Functions host.
    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    private static int? Int(JsonElement section, string name) => Property(section, name) switch
    {
        { ValueKind: JsonValueKind.Number } number => number.GetInt32(),
        { ValueKind: JsonValueKind.String } text => int.Parse(text.GetString()!, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string? String(JsonElement section, string name) =>
        Property(section, name) is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;

    // Durations are "hh:mm:ss[.fff]" strings; plain numbers are milliseconds, as the Functions host accepts both.
    private static TimeSpan? Duration(JsonElement section, string name, string path) => Property(section, name) switch
    {
        { ValueKind: JsonValueKind.Number } number => TimeSpan.FromMilliseconds(number.GetDouble()),
        { ValueKind: JsonValueKind.String } text when TimeSpan.TryParse(text.GetString(), CultureInfo.InvariantCulture, out var value) => value,
        { ValueKind: JsonValueKind.String } text => throw new InvalidOperationException($"{path}: extensions.queues.{name} '{text.GetString()}' is not a duration (hh:mm:ss)."),
        _ => null,
    };
}

/// <summary>host.json <c>extensions.queues</c>.</summary>
public sealed record QueueListenerSettings(
    int BatchSize,
    int NewBatchThreshold,
    TimeSpan MaxPollingInterval,
    TimeSpan VisibilityTimeout,
    int MaxDequeueCount,
    bool Base64Encoding,
    TimeSpan? MessageLease = null)
{
    /// <summary>The app setting that shortens the lease of a message while its function runs (1 minute otherwise), so that a harness killing the host sees redeliveries sooner.</summary>
    public const string MessageLeaseSetting = "DevHost:MessageLease";

    public static QueueListenerSettings Default { get; } = new(
        BatchSize: 16,
        NewBatchThreshold: DefaultNewBatchThreshold(16),
        MaxPollingInterval: TimeSpan.FromMinutes(1),
        VisibilityTimeout: TimeSpan.Zero,
        MaxDequeueCount: 5,
        Base64Encoding: true);

    public static int DefaultNewBatchThreshold(int batchSize) => Environment.ProcessorCount * batchSize / 2;
}
