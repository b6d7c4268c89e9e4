using Azure.Storage.Queues.Models;
using Seedream.Functions.Drops;

namespace Seedream.Functions.Tests;

/// <summary>
/// Queue functions take the raw <see cref="QueueMessage"/>; tests that hold a message as text deliver it through these,
/// as the host would after base64 decoding.
/// </summary>
internal static class QueueFunctionExtensions
{
    public static QueueMessage Message(string text, long dequeueCount = 1, string? messageId = null) =>
        Message(BinaryData.FromString(text), dequeueCount, messageId);

    public static QueueMessage Message(BinaryData body, long dequeueCount = 1, string? messageId = null, DateTimeOffset? insertedOn = null) =>
        QueuesModelFactory.QueueMessage(messageId ?? Guid.NewGuid().ToString(), "pop-receipt", body, dequeueCount, insertedOn: insertedOn);

    public static Task RunAsync(this ProcessGenerationRequest function, string message, CancellationToken cancellationToken) =>
        function.RunAsync(Message(message), cancellationToken);

    public static Task RunAsync(this ProcessPoisonGenerationRequest function, string message, CancellationToken cancellationToken) =>
        function.RunAsync(Message(message, dequeueCount: 1), cancellationToken);

    public static Task RunAsync(this ProcessInboxEvent function, string message, CancellationToken cancellationToken) =>
        function.RunAsync(Message(message), cancellationToken);

    public static Task RunAsync(this ProcessPoisonInboxEvent function, string message, CancellationToken cancellationToken) =>
        function.RunAsync(Message(message), cancellationToken);
}
