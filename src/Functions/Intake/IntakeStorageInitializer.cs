using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.Drops;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Intake;

/// <summary>
/// Creates every queue and container the app reads at startup (idempotent): the work and event queues with their poison
/// queues (the webhook deliveries' and the batches' too), the job, image, inbox, dead-letter and batch containers. Idle
/// polling of a missing queue is a steady stream of 404s, and a producer's first message to it fails.
/// A failure is logged, not fatal: first use creates what it needs too.
/// </summary>
public sealed class IntakeStorageInitializer : IHostedService
{
    private readonly BlobServiceClient _blobs;
    private readonly QueueServiceClient _queues;
    private readonly PipelineStorageOptions _pipeline;
    private readonly DropStorageOptions _drops;
    private readonly DeadLetterOptions _deadLetters;
    private readonly WebhookQueueOptions _webhooks;
    private readonly BatchStorageOptions _batches;
    private readonly ILogger<IntakeStorageInitializer> _logger;

    public IntakeStorageInitializer(
        BlobServiceClient blobs, QueueServiceClient queues, IOptions<PipelineStorageOptions> pipeline, IOptions<DropStorageOptions> drops,
        IOptions<DeadLetterOptions> deadLetters, IOptions<WebhookQueueOptions> webhooks, IOptions<BatchStorageOptions> batches,
        ILogger<IntakeStorageInitializer> logger)
    {
        _blobs = blobs;
        _queues = queues;
        _pipeline = pipeline.Value;
        _drops = drops.Value;
        _deadLetters = deadLetters.Value;
        _webhooks = webhooks.Value;
        _batches = batches.Value;
        _logger = logger;
    }

    public IReadOnlyList<string> QueueNames =>
        [_pipeline.GenerationRequestsQueue, _pipeline.GenerationRequestsPoisonQueue, _drops.InboxEventsQueue, _drops.InboxEventsQueue + "-poison",
            .. new[] { _webhooks.WebhookDeliveriesQueue, _batches.BatchControlQueue, _batches.BatchGenerationRequestsQueue }.SelectMany(name => new[] { name, name + "-poison" })];

    public IReadOnlyList<string> ContainerNames =>
        [_pipeline.JobsContainer, _pipeline.ImagesContainer, _drops.InboxContainer, _deadLetters.DeadLetterContainer, _batches.BatchesContainer];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CreateAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Queues and containers could not be created at startup ({Reason}); they are created on first use.", LogText.Cut(e.Message, 200));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            QueueNames.Select(name => (Task)_queues.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken))
                .Concat(ContainerNames.Select(name => (Task)_blobs.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken)))).ConfigureAwait(false);
    }
}
