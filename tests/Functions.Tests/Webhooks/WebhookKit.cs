using System.Net;
using System.Security.Cryptography;
using Azure.Storage.Queues;
using EventGridReceiver;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Webhooks;

namespace Seedream.Functions.Tests.Webhooks;

/// <summary>Settings, secrets and a delivery loop for the callback tests: the harness runs the webhook queue as the host would.</summary>
internal static class WebhookKit
{
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>A pipeline whose callbacks sign with <paramref name="secrets"/> and retry within seconds.</summary>
    public static PipelineHarness CreateHarness(
        PipelineFixture fixture, string[] secrets, bool allowLoopback = true, Dictionary<string, string?>? more = null, WebhookAddressResolver? resolver = null) =>
        fixture.CreateHarness(Settings(secrets, allowLoopback, more), resolver is null ? null : services => services.AddSingleton(resolver));

    /// <summary>The settings of <see cref="CreateHarness"/>, for harnesses made elsewhere (a drop kit).</summary>
    public static Dictionary<string, string?> Settings(string[] secrets, bool allowLoopback = true, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WebhookDeliveriesQueue"] = $"wh-{Guid.NewGuid():N}"[..20],
            ["DeadLetterContainer"] = $"dl-{Guid.NewGuid():N}"[..20],
            ["Intake:AllowLoopbackReferences"] = allowLoopback ? "true" : "false",
            ["Webhooks:Timeout"] = "00:00:03",
            ["Webhooks:InitialRetryDelay"] = "00:00:01",
            ["Webhooks:MaxRetryDelay"] = "00:00:02",
            ["Webhooks:RetryWindow"] = "00:01:00",
        };
        for (var i = 0; i < secrets.Length; i++)
        {
            settings[$"Webhooks:SigningSecrets:{i}"] = secrets[i];
        }

        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public static string RequestWithCallback(Uri url, params string[] events) => TestRequests.Create("a lighthouse at dawn", configure: request =>
    {
        var webhook = new System.Text.Json.Nodes.JsonObject { ["url"] = url.ToString() };
        if (events.Length > 0)
        {
            webhook["events"] = new System.Text.Json.Nodes.JsonArray([.. events.Select(e => (System.Text.Json.Nodes.JsonNode)e)]);
        }

        request["webhook"] = webhook;
    });

    public static QueueClient Queue(this PipelineHarness harness) => harness.Services.GetRequiredService<WebhookQueue>().Client;

    /// <summary>
    /// Runs the webhook queue as the host does (delayed messages become visible when their delay ends) until
    /// <paramref name="done"/> holds, the queue is empty with <paramref name="stopWhenEmpty"/>, or the timeout passes.
    /// </summary>
    public static async Task RunWebhooksAsync(this PipelineHarness harness, Func<bool>? done = null, TimeSpan? timeout = null, bool stopWhenEmpty = true, int concurrency = 16)
    {
        var queue = harness.Queue();
        await queue.CreateIfNotExistsAsync();
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < until && done?.Invoke() != true)
        {
            var messages = (await queue.ReceiveMessagesAsync(concurrency, TimeSpan.FromMinutes(1))).Value;
            if (messages.Length == 0)
            {
                if (stopWhenEmpty && (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0)
                {
                    return;
                }

                await Task.Delay(50);
                continue;
            }

            await Task.WhenAll(messages.Select(async message =>
            {
                await harness.Create<DeliverWebhook>().RunAsync(message, CancellationToken.None);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }));
        }
    }

    /// <summary>Makes chosen names resolve to chosen addresses, in turn (the last answer repeats): DNS only; the connect guard is the app's.</summary>
    public sealed class ScriptedResolver(params IPAddress[][] answers) : WebhookAddressResolver
    {
        private int _calls;

        public int Calls => _calls;

        public override Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            return Task.FromResult(answers[Math.Min(call, answers.Length - 1)]);
        }
    }

    public static Task<WebhookReceiverServer> StartReceiverAsync(string secret, int port = 0, WebhookReceiver? receiver = null) =>
        WebhookReceiverServer.StartAsync(secret, port, receiver);
}
