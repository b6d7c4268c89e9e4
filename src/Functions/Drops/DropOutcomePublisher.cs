using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>
/// The pipeline's event publisher, plus the drop's outcome: before a drop job's terminal event goes out, its source blob
/// is marked with the status (and the error). Every way a job ends publishes that event, so every drop gets its mark.
/// </summary>
public sealed class DropOutcomePublisher : JobEventPublisher
{
    private readonly InboxStore _inbox;
    private readonly ILogger<DropOutcomePublisher> _logger;

    public DropOutcomePublisher(EventGridPublisherClient client, IOptions<EventGridOptions> options, InboxStore inbox, ILogger<DropOutcomePublisher> logger)
        : base(client, options)
    {
        _inbox = inbox;
        _logger = logger;
    }

    public override async Task PublishTerminalAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.SourceBlob is { } source && source.Container == _inbox.Container.Name
            && !await _inbox.MarkAsync(source.Name, job.Id, DropMarks.For(job), cancellationToken).ConfigureAwait(false))
        {
            _logger.LogInformation("Drop job {JobId} ended {Status}; its source blob '{Blob}' no longer exists to be marked.", job.Id, job.Status, source.Name);
        }

        await base.PublishTerminalAsync(job, cancellationToken).ConfigureAwait(false);
    }
}
