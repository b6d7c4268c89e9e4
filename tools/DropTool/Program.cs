using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DropTool;
using Seedream.Functions;
using Seedream.Functions.Batches;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;

// Local stand-in for Event Grid's blob-created delivery (Azurite emits no events); see DropCommand.Usage.
// The app's default Drops:ReferencesFolder.
const string ReferencesFolder = "references/";
const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

if (args is ["-h" or "--help" or "help", ..])
{
    Console.WriteLine(DropCommand.Usage);
    return 0;
}

if (DropCommand.Parse(args, out var error) is not { } command)
{
    Console.Error.WriteLine($"drop: {error}\n\n{DropCommand.Usage}");
    return 2;
}

if (!File.Exists(command.File))
{
    Console.Error.WriteLine($"drop: no file '{command.File}'.");
    return 2;
}

var connection = Environment.GetEnvironmentVariable("AzureWebJobsStorage") is { Length: > 0 } configured && configured != "UseDevelopmentStorage=true"
    ? configured
    : $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};"
      + $"BlobEndpoint=http://127.0.0.1:{Port("AZURITE_BLOB_PORT", 10000)}/devstoreaccount1;"
      + $"QueueEndpoint=http://127.0.0.1:{Port("AZURITE_QUEUE_PORT", 10001)}/devstoreaccount1";
// One quick retry: a stack that is not running should be reported at once, not after a minute of backoff.
var blobOptions = new BlobClientOptions { Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(200) } };
var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64, Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(200) } };
var inbox = new BlobContainerClient(connection, Setting("InboxContainer", "inbox"), blobOptions);
// The app's queues are base64, as Event Grid's storage-queue destination writes event JSON.
var events = new QueueClient(connection, Setting("InboxEventsQueue", "inbox-events"), queueOptions);
var dropper = new InboxDropper(inbox, events);

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    var eventId = await dropper.DropAsync(command.File, command.BlobName, command.Metadata, command.CloudEvents, cancellation.Token);
    Console.WriteLine($"dropped {inbox.Uri}/{command.BlobName}; BlobCreated event {eventId} enqueued on {events.Name} ({(command.CloudEvents ? "CloudEvents" : "Event Grid")} schema)");
    if (command.BlobName.StartsWith(ReferencesFolder, StringComparison.Ordinal))
    {
        Console.WriteLine($"'{command.BlobName}' is a reference image (under {ReferencesFolder}): it starts no job; name it in a JSON drop's \"image\".");
        return 0;
    }

    if (command.Wait == TimeSpan.Zero)
    {
        return 0;
    }

    // The app marks the blob with its job (or batch) id when it creates it, and with the outcome when it ends.
    var isBatch = BatchDropService.IsBatchFile(command.BlobName);
    var (idKey, kind, route) = isBatch ? (BatchDropService.BatchIdKey, "batch", "batches") : (InboxStore.JobIdKey, "job", "generations");
    var deadline = DateTimeOffset.UtcNow + command.Wait;
    string? announced = null;
    while (DateTimeOffset.UtcNow < deadline)
    {
        var marks = await dropper.MetadataAsync(command.BlobName, cancellation.Token) ?? new Dictionary<string, string>();
        if (marks.TryGetValue(idKey, out var id) && id != announced)
        {
            announced = id;
            Console.WriteLine($"{kind} {id}: status at /api/{route}/{id}");
        }

        if (marks.TryGetValue(InboxStore.StatusKey, out var status) && (isBatch ? BatchStatusNames.IsFinished(status) : JobOutcomes.IsFinal(status)))
        {
            var failure = marks.TryGetValue(InboxStore.ErrorKey, out var message) && marks.TryGetValue(InboxStore.ErrorCodeKey, out var code)
                ? $": {code} {Uri.UnescapeDataString(message)}"
                : string.Empty;
            Console.WriteLine($"{kind} {id} {status}{failure}");
            var failed = isBatch
                ? BatchStatusNames.TryParse(status, out var batchStatus) && BatchStatusNames.IsFailure(batchStatus)
                : JobOutcomes.Of(status).IsFailure;
            return failed ? 1 : 0;
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation.Token);
    }

    Console.Error.WriteLine($"drop: no outcome within {command.Wait.TotalSeconds:0} s; is the function app running (./run.sh)?");
    return 1;
}
catch (OperationCanceledException)
{
    return 130;
}
catch (Azure.RequestFailedException e) when (e.Status != 0)
{
    Console.Error.WriteLine($"drop: storage refused the request ({e.Status} {e.ErrorCode}): {e.Message.Split('\n')[0]}");
    return 1;
}
catch (Exception e) when (e is Azure.RequestFailedException or AggregateException or HttpRequestException)
{
    // Connection failures surface as status-0 failures, wrapped in an AggregateException once the retries are spent.
    Console.Error.WriteLine($"drop: storage at {inbox.Uri.GetLeftPart(UriPartial.Authority)} is not reachable; start the stack with ./run.sh first.");
    return 1;
}

static string Setting(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

static int Port(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;
