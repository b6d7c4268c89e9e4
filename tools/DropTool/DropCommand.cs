namespace DropTool;

/// <summary>The parsed command line of <c>./run.sh drop</c>.</summary>
internal sealed record DropCommand(
    string File,
    string BlobName,
    IReadOnlyDictionary<string, string> Metadata,
    bool CloudEvents,
    TimeSpan Wait)
{
    public const string Usage = """
        usage: ./run.sh drop <file> [--name <blob name>] [--prompt <text>] [--meta <key>=<value>]... [--cloudevents] [--wait <seconds>]

        Uploads <file> to the local inbox container (Azurite) and enqueues its Microsoft.Storage.BlobCreated event on the
        inbox event queue exactly as Event Grid's storage-queue destination would (event JSON, base64), then waits for
        the drop's job (or batch) to end and prints its id and outcome (from the marks on the blob).
          <file>           a generation request (*.json), a batch file (*.jsonl) or an image (png, jpeg, webp, ...)
          --name           blob name in the inbox (default: the file name); JSON requests name other inbox blobs in "image"
          --prompt         image drops: the prompt (metadata "prompt"); --meta sets any other parameter (model, size, seed, ...)
          --cloudevents    deliver the event in the CloudEvents 1.0 schema instead of the Event Grid schema
          --wait           seconds to wait for the outcome (default 120; 0 returns after enqueueing)
        Environment: AzureWebJobsStorage (default: Azurite on AZURITE_BLOB_PORT/AZURITE_QUEUE_PORT, 10000/10001),
          InboxContainer (inbox), InboxEventsQueue (inbox-events).
        """;

    /// <summary>The command, or null with <paramref name="error"/> set when the arguments are wrong.</summary>
    public static DropCommand? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        string? file = null, name = null;
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var cloudEvents = false;
        var wait = TimeSpan.FromSeconds(120);
        for (var i = 0; i < args.Count; i++)
        {
            string? Value() => i + 1 < args.Count ? args[++i] : null;
            switch (args[i])
            {
                case "--name":
                    name = Value();
                    break;
                case "--prompt":
                    if (Value() is { } prompt)
                    {
                        metadata["prompt"] = prompt;
                    }

                    break;
                case "--meta":
                    if (Value() is { } pair && pair.IndexOf('=', StringComparison.Ordinal) is > 0 and var equals)
                    {
                        metadata[pair[..equals]] = pair[(equals + 1)..];
                    }
                    else
                    {
                        error = "--meta takes <key>=<value>.";
                    }

                    break;
                case "--cloudevents":
                    cloudEvents = true;
                    break;
                case "--wait":
                    if (double.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
                    {
                        wait = TimeSpan.FromSeconds(seconds);
                    }
                    else
                    {
                        error = "--wait takes a number of seconds.";
                    }

                    break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    error = $"unknown option '{option}'.";
                    break;
                default:
                    if (file is not null)
                    {
                        error = $"only one file can be dropped at a time (got '{file}' and '{args[i]}').";
                    }

                    file = args[i];
                    break;
            }
        }

        if (error is null && file is null)
        {
            error = "name the file to drop.";
        }

        if (error is not null)
        {
            return null;
        }

        return new DropCommand(file!, name ?? Path.GetFileName(file!), metadata, cloudEvents, wait);
    }
}
