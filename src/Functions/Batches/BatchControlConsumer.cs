using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Batches;

/// <summary>Messages of the batch control queue: fan-out, recount, finalize, resume. Anything else is dead-lettered, never retried.</summary>
public sealed class BatchControlConsumer
{
    public const string NotAControlMessageCode = "NotABatchControlMessage";

    private readonly BatchFanOutService _fanOut;
    private readonly BatchProgress _progress;
    private readonly DeadLetters _deadLetters;
    private readonly BatchStore _batches;
    private readonly string _queue;
    private readonly ILogger<BatchControlConsumer> _logger;

    public BatchControlConsumer(BatchFanOutService fanOut, BatchProgress progress, DeadLetters deadLetters, BatchStore batches, IOptions<BatchStorageOptions> names, ILogger<BatchControlConsumer> logger)
    {
        _batches = batches;
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
            case BatchControlMessage.ResumeStep:
                await _progress.ResumeCheckAsync(control.BatchId, control.Round, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await _progress.CheckAsync(control.BatchId, control.Round, control.Step == BatchControlMessage.FinalizeStep, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// A control message that failed every delivery. A fan-out that moved its checkpoint since it was last restarted (each
    /// crash costs a delivery, and a long input may see several) is sent again; anything else is dead-lettered with the reason.
    /// </summary>
    public async Task HandlePoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (BatchControlMessage.TryParse(message.Body?.ToMemory() ?? ReadOnlyMemory<byte>.Empty, out var control) && control.Step == BatchControlMessage.FanOutStep)
        {
            var restarted = false;
            await _batches.UpdateAsync(control.BatchId, record =>
            {
                restarted = !record.FanOut.Completed && record.FanOut.RestartedAtLine != record.FanOut.NextLine;
                record.FanOut.RestartedAtLine = record.FanOut.NextLine;
                return restarted;
            }, cancellationToken).ConfigureAwait(false);
            if (restarted)
            {
                _logger.LogWarning("Batch {BatchId}: the fan-out ran out of deliveries but had moved on; it is sent again.", control.BatchId);
                await _batches.SendAsync(_batches.Control, BatchControlMessage.FanOut(control.BatchId), delay: null, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        _logger.LogError("Batch control message {MessageId} failed {DequeueCount} deliveries; dead-lettering it.", LogText.Cut(message.MessageId, 64), message.DequeueCount);
        await _deadLetters.WriteAsync(DeadLetter.From(_queue + "-poison", message, GenerationRequestConsumer.HandlerFailedCode,
            "The batch step failed on every delivery (see the logs); send the message again to retry it."), cancellationToken).ConfigureAwait(false);
    }
}
