using System.Collections.Concurrent;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Seedream.DevHost.Tests;

/// <summary>What the sample functions saw; registered as a singleton by the test host's services callback.</summary>
public sealed class InvocationRecorder
{
    public ConcurrentQueue<RecordedInvocation> Invocations { get; } = new();

    public IReadOnlyList<RecordedInvocation> For(string function, string body) =>
        Invocations.Where(i => i.Function == function && i.Body == body).ToList();
}

public sealed record RecordedInvocation(string Function, string Body, long DequeueCount, DateTimeOffset At, bool Cancelled = false);

/// <summary>A queue function following docs/architecture.md §4: "fail…" bodies throw, "block…" bodies wait for the token.</summary>
public sealed class SampleWorkFunction(InvocationRecorder recorder)
{
    [Function("SampleWork")]
    public async Task Run([QueueTrigger("%SampleWorkQueue%", Connection = "AzureWebJobsStorage")] QueueMessage message, CancellationToken cancellationToken)
    {
        var body = message.Body.ToString();
        if (body.StartsWith("block", StringComparison.Ordinal))
        {
            recorder.Invocations.Enqueue(new RecordedInvocation("SampleWorkStarted", body, message.DequeueCount, DateTimeOffset.UtcNow));
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                recorder.Invocations.Enqueue(new RecordedInvocation("SampleWork", body, message.DequeueCount, DateTimeOffset.UtcNow, Cancelled: true));
                throw;
            }
        }

        recorder.Invocations.Enqueue(new RecordedInvocation("SampleWork", body, message.DequeueCount, DateTimeOffset.UtcNow));
        if (body.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Sample failure for " + body);
        }
    }
}

public sealed class SampleTextFunction(InvocationRecorder recorder)
{
    [Function("SampleText")]
    public Task Run([QueueTrigger("%SampleTextQueue%", Connection = "AzureWebJobsStorage")] string message, CancellationToken cancellationToken)
    {
        recorder.Invocations.Enqueue(new RecordedInvocation("SampleText", message, 0, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

public sealed class SampleHttpFunctions
{
    [Function("SampleItem")]
    public Task<IActionResult> GetItem(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "items/{category}/{id:int}")] HttpRequest request,
        string category, int id, CancellationToken cancellationToken) =>
        Task.FromResult<IActionResult>(new OkObjectResult(new { category, id, idType = id.GetType().Name, query = request.Query["q"].ToString() }));

    [Function("SampleEcho")]
    public async Task<IActionResult> Echo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "echo/{count:long}")] HttpRequest request, long count, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        return new ContentResult { Content = string.Concat(Enumerable.Repeat(body, (int)count)), ContentType = "text/plain", StatusCode = 201 };
    }

    [Function("SampleThrows")]
    public IActionResult Throws([HttpTrigger(AuthorizationLevel.Function, "get", Route = "throws")] HttpRequest request) =>
        throw new InvalidOperationException("Sample HTTP failure");
}
