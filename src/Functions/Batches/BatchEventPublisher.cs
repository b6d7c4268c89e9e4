using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Batches;

/// <summary>The batch's one CloudEvent when it ends: <c>Seedream.Batch.Completed</c>, <c>.Failed</c>, <c>.Cancelled</c> or <c>.Expired</c>, id <c>{batchId}.{outcome}</c>.</summary>
public class BatchEventPublisher
{
    public const string CompletedType = "Seedream.Batch.Completed";
    public const string FailedType = "Seedream.Batch.Failed";
    public const string CancelledType = "Seedream.Batch.Cancelled";
    public const string ExpiredType = "Seedream.Batch.Expired";

    private readonly EventGridPublisherClient _client;
    private readonly EventGridOptions _options;

    public BatchEventPublisher(EventGridPublisherClient client, IOptions<EventGridOptions> options)
    {
        _client = client;
        _options = options.Value;
    }

    public static string TypeFor(BatchStatus status) => status switch
    {
        BatchStatus.Completed => CompletedType,
        BatchStatus.Failed => FailedType,
        BatchStatus.Cancelled => CancelledType,
        BatchStatus.Expired => ExpiredType,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only a finished batch has an event."),
    };

    public virtual async Task PublishAsync(BatchRecord batch, BatchView view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var terminal = batch.TerminalEvent ?? throw new InvalidOperationException($"Batch {batch.Id} has no event to publish.");
        var cloudEvent = new CloudEvent(_options.Source, terminal.Type, BinaryData.FromObjectAsJson(view, JobJson.Options), "application/json", CloudEventDataFormat.Json)
        {
            Id = terminal.Id,
            Subject = $"batches/{batch.Id}",
        };
        if (batch.TraceParent is { } traceParent)
        {
            cloudEvent.ExtensionAttributes["traceparent"] = traceParent;
        }

        await _client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }
}
