using System.Buffers.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>
/// Messages that no queue trigger can ever see: text that is not base64 lands on a poison queue (the queue extension
/// moves undecodable messages there), where the trigger cannot decode it either; the Functions host then retries it
/// forever and the development host moves it on to <c>-poison-poison</c>. This sweep reads the poison queues without
/// decoding, dead-letters such messages (raw bytes, reason, queue, message id, dequeue count, plus a Failed event) and
/// deletes them; every message of a <c>-poison-poison</c> queue is dead-lettered. Decodable messages are left alone.
/// </summary>
public sealed class UndecodableMessageSweeper : BackgroundService
{
    public const string UndecodableCode = "UndecodableMessage";

    private readonly QueueServiceClient _rawQueues;
    private readonly DeadLetters _deadLetters;
    private readonly IntakeOptions _options;
    private readonly IReadOnlyList<string> _queueNames;
    private readonly ILogger<UndecodableMessageSweeper> _logger;

    public UndecodableMessageSweeper(
        RawQueueServiceClient rawQueues, DeadLetters deadLetters, IOptions<IntakeOptions> options, IOptions<PipelineStorageOptions> pipeline, IOptions<DropStorageOptions> drops,
        ILogger<UndecodableMessageSweeper> logger)
    {
        _rawQueues = rawQueues.Client;
        _deadLetters = deadLetters;
        _options = options.Value;
        _queueNames = [pipeline.Value.GenerationRequestsPoisonQueue, drops.Value.InboxEventsQueue + "-poison"];
        _logger = logger;
    }

    /// <summary>One pass over every poison queue; the number of messages dead-lettered.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var swept = 0;
        foreach (var name in _queueNames)
        {
            swept += await SweepAsync(_rawQueues.GetQueueClient(name), everything: false, cancellationToken).ConfigureAwait(false);
            swept += await SweepAsync(_rawQueues.GetQueueClient(name + "-poison"), everything: true, cancellationToken).ConfigureAwait(false);
        }

        return swept;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning("Poison queue sweep failed ({Reason}); next sweep in {Interval}.", LogText.Cut(e.Message, 200), _options.PoisonSweepInterval);
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

    private async Task<int> SweepAsync(QueueClient queue, bool everything, CancellationToken cancellationToken)
    {
        if (!(await queue.ExistsAsync(cancellationToken).ConfigureAwait(false)).Value)
        {
            return 0;
        }

        // Peek first: decodable messages are the triggers' and are not touched unless an undecodable one is waiting.
        var peeked = (await queue.PeekMessagesAsync(32, cancellationToken).ConfigureAwait(false)).Value;
        if (!everything && !peeked.Any(m => !IsBase64(m.Body)))
        {
            return 0;
        }

        var swept = 0;
        var received = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Value;
        foreach (var message in received)
        {
            if (!everything && IsBase64(message.Body))
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
                continue;
            }

            var reason = everything
                ? $"The message failed on its poison queue too and was moved to '{queue.Name}', which no function reads."
                : "The message is not base64 text, so no queue trigger can decode it (host.json messageEncoding: base64); send base64-encoded UTF-8 JSON.";
            await _deadLetters.WriteAsync(DeadLetter.From(queue.Name, message, UndecodableCode, reason), cancellationToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
            swept++;
        }

        return swept;
    }

    private static bool IsBase64(BinaryData body)
    {
        var bytes = body.ToMemory().Span;
        return !bytes.IsEmpty && Base64.IsValid(bytes);
    }
}

/// <summary>A queue service client that does not decode messages, for the sweep of undecodable ones.</summary>
public sealed class RawQueueServiceClient(QueueServiceClient client)
{
    public QueueServiceClient Client { get; } = client;
}
