using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>Messages of the batch control queue: fan-out, recount, finalize. Anything else is dead-lettered, never retried.</summary>
public sealed class BatchControlConsumer
{
    public const string NotAControlMessageCode = "NotABatchControlMessage";

    private readonly BatchFanOutService _fanOut;
    private readonly BatchProgress _progress;
    private readonly DeadLetters _deadLetters;
    private readonly string _queue;
    private readonly ILogger<BatchControlConsumer> _logger;

    public BatchControlConsumer(BatchFanOutService fanOut, BatchProgress progress, DeadLetters deadLetters, IOptions<BatchStorageOptions> names, ILogger<BatchControlConsumer> logger)
    {
        _fanOut = fanOut;
        _progress = progress;
        _deadLetters = deadLetters;
        _queue = names.Value.BatchControlQueue;
        _logger = logger;
    }

    public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!BatchControlMessage.TryParse(message.Body?.ToMemory() ?? ReadOnlyMemory<byte>.Empty, out var control))
        {
            await _deadLetters.WriteAsync(DeadLetter.From(_queue, message, NotAControlMessageCode,
                "The message is not a batch control message ({\"batchId\",\"step\",\"round\"}); nothing was done."), cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (control.Step)
        {
            case BatchControlMessage.FanOutStep:
                await _fanOut.RunAsync(control.BatchId, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await _progress.CheckAsync(control.BatchId, control.Round, control.Step == BatchControlMessage.FinalizeStep, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>A control message that failed every delivery: dead-lettered with the reason (the batch's next check, if any, retries the step).</summary>
    public async Task HandlePoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        _logger.LogError("Batch control message {MessageId} failed {DequeueCount} deliveries; dead-lettering it.", LogText.Cut(message.MessageId, 64), message.DequeueCount);
        await _deadLetters.WriteAsync(DeadLetter.From(_queue + "-poison", message, GenerationRequestConsumer.HandlerFailedCode,
            "The batch step failed on every delivery (see the logs); send the message again to retry it."), cancellationToken).ConfigureAwait(false);
    }
}
