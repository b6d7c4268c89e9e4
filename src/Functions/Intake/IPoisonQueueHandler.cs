using Azure.Storage.Queues.Models;

namespace Seedream.Functions.Intake;

/// <summary>
/// A poison queue that <see cref="PoisonQueueDrain"/> owns and what leaves a trace for each of its messages. No function
/// triggers on a <c>-poison</c> queue: under the real Functions host such a trigger gets no poison queue of its own and
/// loops forever on text it cannot decode. Register one with
/// <see cref="IntakeServiceCollectionExtensions.AddPoisonQueueHandler{THandler}"/>.
/// </summary>
public interface IPoisonQueueHandler
{
    /// <summary>The poison queue's name (its queue's name + <c>-poison</c>).</summary>
    string PoisonQueue { get; }

    /// <summary>Leaves the message's trace (an ended job or a dead letter); throws to have it received again later.</summary>
    /// <param name="message">The message as a queue trigger would bind it (base64-decoded).</param>
    Task RunAsync(QueueMessage message, CancellationToken cancellationToken);
}
