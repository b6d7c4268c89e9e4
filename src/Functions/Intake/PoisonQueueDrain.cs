using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Intake;

/// <summary>
/// Owns the poison queues; no function triggers on them. Under the real Functions host a trigger on a <c>-poison</c>
/// queue gets no poison queue of its own, and text that is not base64 is moved by the queue extension straight to
/// <c>-poison</c>, where such a trigger cannot decode it either: the host retook it every 10 minutes, forever (issue 19).
/// Every <c>Intake:PoisonSweepInterval</c> this drain reads both poison queues without decoding: text that is not
/// base64 is dead-lettered (<c>UndecodableMessage</c>, with a Failed event); the rest is decoded and handed to its
/// queue's <see cref="IPoisonQueueHandler"/>, which ends its job (or dead-letters what it cannot end). A message whose handling keeps
/// failing (storage down) is dead-lettered after <see cref="MaxAttempts"/> receipts. Each message is deleted only
/// after it left its trace, so a crash mid-way repeats the handling, which is idempotent.
/// </summary>
public sealed class PoisonQueueDrain : BackgroundService
{
    public const string UndecodableCode = "UndecodableMessage";

    /// <summary>Receipts of one poison message before it is dead-lettered as <c>HandlerFailed</c>.</summary>
    public const int MaxAttempts = 5;

    private static readonly TimeSpan s_handlingLease = TimeSpan.FromMinutes(2);

    private readonly QueueServiceClient _rawQueues;
    private readonly DeadLetters _deadLetters;
    private readonly IntakeOptions _options;
    private readonly IReadOnlyList<(string Queue, Func<QueueMessage, CancellationToken, Task> Handle)> _poisonQueues;
    private readonly ILogger<PoisonQueueDrain> _logger;

    public PoisonQueueDrain(
        RawQueueServiceClient rawQueues, DeadLetters deadLetters, IEnumerable<IPoisonQueueHandler> handlers, IOptions<IntakeOptions> options,
        ILogger<PoisonQueueDrain> logger)
    {
        _rawQueues = rawQueues.Client;
        _deadLetters = deadLetters;
        _options = options.Value;
        _poisonQueues = [.. handlers.Select(h => (h.PoisonQueue, (Func<QueueMessage, CancellationToken, Task>)h.RunAsync))];
        _logger = logger;
    }

    /// <summary>One pass over every poison queue; the number of messages that left it.</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        var drained = 0;
        foreach (var (name, handle) in _poisonQueues)
        {
            drained += await DrainAsync(_rawQueues.GetQueueClient(name), handle, cancellationToken).ConfigureAwait(false);
        }

        return drained;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DrainAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning("Poison queue drain failed ({Reason}); next pass in {Interval}.", LogText.Cut(e.Message, 200), _options.PoisonSweepInterval);
            }

            try
            {
                await Task.Delay(_options.PoisonSweepInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<int> DrainAsync(QueueClient queue, Func<QueueMessage, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        var drained = 0;
        while (true)
        {
            QueueMessage[] received;
            try
            {
                received = (await queue.ReceiveMessagesAsync(32, s_handlingLease, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (Azure.RequestFailedException e) when (e.ErrorCode == QueueErrorCode.QueueNotFound)
            {
                return drained;
            }

            if (received.Length == 0)
            {
                return drained;
            }

            foreach (var message in received)
            {
                if (await LeaveTraceAsync(queue.Name, message, handle, cancellationToken).ConfigureAwait(false))
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                    drained++;
                }
            }
        }
    }

    /// <summary>False when the handler failed and the message should be received again later.</summary>
    private async Task<bool> LeaveTraceAsync(string queue, QueueMessage raw, Func<QueueMessage, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        if (!TryDecode(raw.Body, out var body))
        {
            await _deadLetters.WriteAsync(DeadLetter.From(queue, raw, UndecodableCode,
                "The message is not base64 text, so no queue trigger could decode it; send base64-encoded UTF-8 JSON."), cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (raw.DequeueCount > MaxAttempts)
        {
            await _deadLetters.WriteAsync(DeadLetter.From(queue, raw, GenerationRequestConsumer.HandlerFailedCode,
                $"The message's job could not be ended in {MaxAttempts} attempts on its poison queue."), cancellationToken).ConfigureAwait(false);
            return true;
        }

        try
        {
            await handle(QueuesModelFactory.QueueMessage(raw.MessageId, raw.PopReceipt, body, raw.DequeueCount, raw.NextVisibleOn, raw.InsertedOn, raw.ExpiresOn), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Poison message {MessageId} of {Queue} could not be handled (attempt {Attempt} of {MaxAttempts}): {Reason}",
                LogText.Cut(raw.MessageId, 64), queue, raw.DequeueCount, MaxAttempts, LogText.Cut(e.Message, 200));
            return false;
        }
    }

    /// <summary>The message as the queue extension would decode it (host.json <c>messageEncoding: base64</c>; whitespace is ignored).</summary>
    internal static bool TryDecode(BinaryData raw, out BinaryData decoded)
    {
        var text = raw.ToString();
        var buffer = new byte[(text.Length / 4 * 3) + 3];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            decoded = BinaryData.FromBytes(buffer.AsMemory(0, written));
            return true;
        }

        decoded = raw;
        return false;
    }
}

/// <summary>A queue service client that does not decode messages, for the poison queues' drain.</summary>
public sealed class RawQueueServiceClient(QueueServiceClient client)
{
    public QueueServiceClient Client { get; } = client;
}
