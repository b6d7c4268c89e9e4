using System.Reflection;
using System.Runtime.ExceptionServices;
using Azure.Storage.Queues.Models;

namespace Seedream.Functions.Tests.Outbox;

/// <summary>
/// Calls a queue-triggered function class as the host does: its <c>[Function]</c> method, with the message bound to the
/// type its trigger parameter declares (<c>string</c>, <c>QueueMessage</c>, <c>BinaryData</c> or <c>byte[]</c>), so that
/// tests deliver what the host delivers whichever binding the function chose.
/// </summary>
internal static class QueueFunctionInvoker
{
    public static Task InvokeAsync(object function, QueueMessage message, CancellationToken cancellationToken)
    {
        var method = function.GetType().GetMethods()
            .Single(m => m.GetCustomAttributes().Any(a => a.GetType().Name == "FunctionAttribute"));
        var arguments = method.GetParameters()
            .Select(p => p.ParameterType == typeof(CancellationToken) ? cancellationToken : Bind(p.ParameterType, message))
            .ToArray();
        try
        {
            return (Task)method.Invoke(function, arguments)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>A message as a queue delivers it: the decoded body, its delivery count (1 for the first delivery).</summary>
    public static QueueMessage Message(string body, long dequeueCount = 1, string? messageId = null) =>
        QueuesModelFactory.QueueMessage(messageId ?? Guid.NewGuid().ToString(), "pop-" + Guid.NewGuid().ToString("N"), BinaryData.FromString(body), dequeueCount,
            nextVisibleOn: DateTimeOffset.UtcNow.AddMinutes(5), insertedOn: DateTimeOffset.UtcNow, expiresOn: DateTimeOffset.UtcNow.AddDays(7));

    private static object Bind(Type type, QueueMessage message) =>
        type == typeof(QueueMessage) ? message
        : type == typeof(string) ? message.Body.ToString()
        : type == typeof(BinaryData) ? message.Body
        : type == typeof(byte[]) ? message.Body.ToArray()
        : throw new NotSupportedException($"A queue trigger bound to {type} is not one the tests deliver.");
}
