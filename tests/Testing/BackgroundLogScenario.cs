using Azure.Storage.Queues;
using EventGridReceiver;

namespace Seedream.Testing;

/// <summary>The log lines the scenario caused, each once, with the job or message id that makes it unique.</summary>
/// <param name="InsideInvocation">Information logged inside a queue trigger's invocation: every host shows it.</param>
/// <param name="BackgroundInformation">Information logged by the poison drain (a background service): the Functions host drops it.</param>
/// <param name="BackgroundWarning">The drain's dead-letter warning, outside any invocation: shown through the worker's standard output.</param>
public sealed record BackgroundLogLines(string InsideInvocation, string BackgroundInformation, string BackgroundWarning);

/// <summary>
/// One input per kind of log line, for the rule "which worker lines reach the Functions host's console" (issue 19,
/// tools/DevHost/README.md), run the same way under the real host (RealHost.Tests) and the development host
/// (DevHost.Tests): a queued body that is no request on <c>generation-requests</c> (refused inside the trigger's
/// invocation), the same kind of body put straight on <c>generation-requests-poison</c> (refused by the poison drain,
/// outside any invocation) and text that is not base64 on the poison queue (dead-lettered by the drain, a warning).
/// Returns once each has its Failed event, so each line has been logged.
/// </summary>
public static class BackgroundLogScenario
{
    private const string FailedType = "Seedream.ImageSeries.Failed";

    /// <param name="requestsQueue">The <c>GenerationRequestsQueue</c> setting of the app under test.</param>
    public static async Task<BackgroundLogLines> RunAsync(
        Func<string, QueueMessageEncoding, QueueClient> queue, EventGridReceiverServer events, TimeSpan timeout, string requestsQueue = "generation-requests")
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(events);
        var nonce = Guid.NewGuid().ToString("N")[..16];
        var inside = await RefusedJobAsync(queue(requestsQueue, QueueMessageEncoding.Base64), "logprobe-in-" + nonce, events, timeout);
        var background = await RefusedJobAsync(queue(requestsQueue + "-poison", QueueMessageEncoding.Base64), "logprobe-bg-" + nonce, events, timeout);

        var raw = queue(requestsQueue + "-poison", QueueMessageEncoding.None);
        var sent = (await raw.SendMessageAsync("logprobe {not} base64 ~~ " + nonce)).Value;
        await events.WaitForEventsAsync(e => e.Type == FailedType && e.Subject == $"queues/{requestsQueue}-poison/messages/{sent.MessageId}", timeout: timeout);

        return new BackgroundLogLines(
            $"Queued request refused; job {inside} fails",
            $"Queued request refused; job {background} fails",
            $"Message {sent.MessageId} of queue {requestsQueue}-poison dead-lettered (UndecodableMessage)");
    }

    /// <summary>Sends a body that names its job but is no request, and waits for that job's Failed event.</summary>
    private static async Task<string> RefusedJobAsync(QueueClient queue, string jobId, EventGridReceiverServer events, TimeSpan timeout)
    {
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync($$"""{"id":"{{jobId}}","not":"a request"}""");
        await events.WaitForEventsAsync(e => e.Type == FailedType && e.Subject == $"generations/{jobId}", timeout: timeout);
        return jobId;
    }

    /// <summary>How many times <paramref name="line"/> occurs in <paramref name="log"/>.</summary>
    public static int Occurrences(string log, string line)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentException.ThrowIfNullOrEmpty(line);
        var count = 0;
        for (var at = log.IndexOf(line, StringComparison.Ordinal); at >= 0; at = log.IndexOf(line, at + line.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
