using System.Diagnostics;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Seedream.DevHost;

/// <summary>
/// Polls one queue for one queue-triggered function, following host.json <c>extensions.queues</c> like the Functions host:
/// up to batchSize messages at a time, a new batch once in-flight work drops to newBatchThreshold, exponential backoff
/// up to maxPollingInterval while empty, failed messages visible again after visibilityTimeout, and after
/// maxDequeueCount attempts moved to <c>&lt;queue&gt;-poison</c>.
/// </summary>
internal sealed class QueueFunctionListener : BackgroundService
{
    private static readonly TimeSpan s_minimumPollingInterval = TimeSpan.FromMilliseconds(100);

    // Messages are leased while a function runs and the lease is renewed, so long generations are not delivered twice.
    private static readonly TimeSpan s_defaultLease = TimeSpan.FromMinutes(1);

    private readonly QueueFunctionDefinition _function;
    private readonly QueueClient _queue;
    private readonly QueueClient _poisonQueue;
    private readonly QueueListenerSettings _settings;
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;

    public QueueFunctionListener(
        QueueFunctionDefinition function, QueueServiceClient service, QueueServiceClient rawService, string queueName,
        QueueListenerSettings settings, IServiceScopeFactory scopes, ILoggerFactory loggerFactory)
    {
        _function = function;
        _queue = service.GetQueueClient(queueName);
        _poisonQueue = service.GetQueueClient(queueName + "-poison");
        RawQueue = rawService.GetQueueClient(queueName);
        RawPoisonQueue = rawService.GetQueueClient(queueName + "-poison");
        _settings = settings;
        _scopes = scopes;
        _logger = loggerFactory.CreateLogger(FunctionsDevHost.FunctionLogCategory(function.Name));
    }

    public string QueueName => _queue.Name;

    public string FunctionName => _function.Name;

    /// <summary>Clients without message encoding, for messages that cannot be decoded (moved to the poison queue as they are).</summary>
    internal QueueClient RawQueue { get; }

    internal QueueClient RawPoisonQueue { get; }

    /// <summary>Creates the queue before the host reports started, so producers can send as soon as it is up.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Listening on queue '{Queue}' for 'Functions.{Function}'", _queue.Name, _function.Name);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {

        var inFlight = new HashSet<Task>();
        var pollingDelay = s_minimumPollingInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                inFlight.RemoveWhere(task => task.IsCompleted);
                if (inFlight.Count > _settings.NewBatchThreshold)
                {
                    await Task.WhenAny(inFlight).WaitAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await _queue.ReceiveMessagesAsync(_settings.BatchSize, _settings.MessageLease ?? s_defaultLease, stoppingToken).ConfigureAwait(false)).Value;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Storage unreachable or throttling: back off like an empty queue and keep listening.
                    _logger.LogWarning("Receiving from queue '{Queue}' failed: {Error}", _queue.Name, exception.Message);
                    messages = [];
                }

                if (messages.Length == 0)
                {
                    await Task.Delay(pollingDelay, stoppingToken).ConfigureAwait(false);
                    pollingDelay = TimeSpan.FromTicks(Math.Min(pollingDelay.Ticks * 2, Math.Max(_settings.MaxPollingInterval.Ticks, s_minimumPollingInterval.Ticks)));
                    continue;
                }

                pollingDelay = s_minimumPollingInterval;
                foreach (var message in messages)
                {
                    inFlight.Add(ProcessAsync(message, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: no new messages; in-flight invocations received the cancelled token.
        }
        finally
        {
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
    }

    /// <summary>Moves a message the queue client could not decode to the poison queue unchanged (raised by the client).</summary>
    internal async Task MoveUndecodableAsync(QueueMessage rawMessage, CancellationToken cancellationToken)
    {
        _logger.LogError("Message {MessageId} on queue '{Queue}' is not {Encoding}-encoded; moving it to '{Poison}'",
            rawMessage.MessageId, _queue.Name, _settings.Base64Encoding ? "base64" : "plain", RawPoisonQueue.Name);
        await RawPoisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await RawPoisonQueue.SendMessageAsync(rawMessage.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        await RawQueue.DeleteMessageAsync(rawMessage.MessageId, rawMessage.PopReceipt, cancellationToken).ConfigureAwait(false);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            if (message.DequeueCount > _settings.MaxDequeueCount)
            {
                // Delivered more often than allowed without a recorded failure (e.g. a host crashed mid-invocation).
                await MoveToPoisonAsync(message, message.PopReceipt).ConfigureAwait(false);
                return;
            }

            var stopwatch = Stopwatch.StartNew();
            var lease = new MessageLease(_queue, message, _settings.MessageLease ?? s_defaultLease);
            Exception? failure = null;
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                await FunctionInvoker.InvokeAsync(_function, scope.ServiceProvider, BindArguments(message, stoppingToken)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                failure = exception;
            }

            var popReceipt = await lease.EndAsync().ConfigureAwait(false);
            if (failure is null)
            {
                await _queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None).ConfigureAwait(false);
                _logger.LogInformation("Executed 'Functions.{Function}' (Succeeded, Id={MessageId}, DequeueCount={DequeueCount}, Duration={Duration} ms)",
                    _function.Name, message.MessageId, message.DequeueCount, stopwatch.ElapsedMilliseconds);
            }
            else if (failure is OperationCanceledException && stoppingToken.IsCancellationRequested)
            {
                await _queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                _logger.LogWarning("Executed 'Functions.{Function}' (Cancelled by shutdown, Id={MessageId}); the message is visible again", _function.Name, message.MessageId);
            }
            else if (message.DequeueCount >= _settings.MaxDequeueCount)
            {
                _logger.LogError(failure, "Executed 'Functions.{Function}' (Failed, Id={MessageId}, DequeueCount={DequeueCount}, Duration={Duration} ms); giving up",
                    _function.Name, message.MessageId, message.DequeueCount, stopwatch.ElapsedMilliseconds);
                await MoveToPoisonAsync(message, popReceipt).ConfigureAwait(false);
            }
            else
            {
                _logger.LogWarning("Executed 'Functions.{Function}' (Failed, Id={MessageId}, DequeueCount={DequeueCount}, Duration={Duration} ms): {Error}; retrying in {Delay}",
                    _function.Name, message.MessageId, message.DequeueCount, stopwatch.ElapsedMilliseconds, failure.Message, _settings.VisibilityTimeout);
                await _queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _settings.VisibilityTimeout, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            // Settling the message failed (lease lost to another receiver, storage unreachable): it becomes visible
            // again when its lease ends and is retried then; the listener itself keeps running.
            _logger.LogWarning("Queue '{Queue}' message {MessageId} could not be settled: {Error}", _queue.Name, message.MessageId, exception.Message);
        }
    }

    private object?[] BindArguments(QueueMessage message, CancellationToken cancellationToken) =>
        _function.Method.GetParameters().Select<System.Reflection.ParameterInfo, object?>(parameter => parameter switch
        {
            _ when parameter == _function.MessageParameter => parameter.ParameterType switch
            {
                var type when type == typeof(QueueMessage) => message,
                var type when type == typeof(BinaryData) => message.Body,
                var type when type == typeof(byte[]) => message.Body.ToArray(),
                _ => message.Body.ToString(),
            },
            _ => cancellationToken,
        }).ToArray();

    private async Task MoveToPoisonAsync(QueueMessage message, string popReceipt)
    {
        await _poisonQueue.CreateIfNotExistsAsync().ConfigureAwait(false);
        await _poisonQueue.SendMessageAsync(message.Body).ConfigureAwait(false);
        await _queue.DeleteMessageAsync(message.MessageId, popReceipt).ConfigureAwait(false);
        _logger.LogError("Message {MessageId} moved to poison queue '{Poison}' after {DequeueCount} attempt(s)", message.MessageId, _poisonQueue.Name, message.DequeueCount);
    }

    /// <summary>Keeps a message invisible while its function runs; each renewal changes the pop receipt.</summary>
    private sealed class MessageLease
    {
        private readonly QueueClient _queue;
        private readonly QueueMessage _message;
        private readonly CancellationTokenSource _stop = new();
        private readonly TimeSpan _lease;
        private readonly Task _renewal;
        private string _popReceipt;

        public MessageLease(QueueClient queue, QueueMessage message, TimeSpan lease)
        {
            _queue = queue;
            _message = message;
            _lease = lease;
            _popReceipt = message.PopReceipt;
            _renewal = RenewAsync();
        }

        public async Task<string> EndAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(false);
            _stop.Dispose();
            return _popReceipt;
        }

        private async Task RenewAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_lease / 2, _stop.Token).ConfigureAwait(false);
                    // Not cancelled by EndAsync: a renewal that reached the server must report its new pop receipt.
                    var receipt = await _queue.UpdateMessageAsync(_message.MessageId, _popReceipt, visibilityTimeout: _lease).ConfigureAwait(false);
                    _popReceipt = receipt.Value.PopReceipt;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // The invocation finished.
            }
        }
    }
}
