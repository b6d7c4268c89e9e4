using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.AspNetCore.Http.Features;

namespace EventGridReceiver;

/// <summary>
/// The local topic: <c>POST /api/events</c> accepts what EventGridPublisherClient sends (CloudEvents batch or single,
/// or Event Grid schema arrays) with the <c>aeg-sas-key</c> header; <c>GET</c> lists (<c>?type=</c>), <c>DELETE</c> clears.
/// </summary>
public static class EventGridReceiverEndpoints
{
    public const string Route = "/api/events";
    public const string KeyHeader = "aeg-sas-key";

    // Event Grid rejects publish requests over 1 MB; the local topic keeps the same ceiling.
    private const long MaxRequestBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapEventGridReceiver(
        this IEndpointRouteBuilder endpoints, ReceivedEvents store, string key, TextWriter eventLog)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(eventLog);

        var expectedKey = Encoding.UTF8.GetBytes(key);

        endpoints.MapPost(Route, async (HttpContext context) =>
        {
            var presented = context.Request.Headers[KeyHeader].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expectedKey))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: $"Missing or wrong {KeyHeader} header.");
            }

            if (context.Request.ContentLength > MaxRequestBytes)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, detail: "Publish requests are limited to 1 MB.");
            }

            context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = MaxRequestBytes;

            IReadOnlyList<CloudEvent> events;
            try
            {
                var body = await BinaryData.FromStreamAsync(context.Request.Body, context.RequestAborted);
                events = Parse(body);
            }
            catch (Exception exception) when (exception is JsonException or ArgumentException or FormatException or InvalidOperationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"Not a CloudEvent or Event Grid event payload: {exception.Message}");
            }
            catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, detail: "Publish requests are limited to 1 MB.");
            }

            store.Add(events);
            foreach (var received in events)
            {
                await eventLog.WriteLineAsync($"event {received.Type} subject={received.Subject} id={received.Id}");
            }

            await eventLog.FlushAsync();
            return Results.Ok();
        });

        endpoints.MapGet(Route, (string? type) =>
        {
            var events = store.Snapshot()
                .Where(e => type is null || string.Equals(e.Type, type, StringComparison.OrdinalIgnoreCase));
            // CloudEvent carries its own converter: the list is a JSON array of CloudEvents (structured mode).
            return Results.Text(JsonSerializer.Serialize(events), "application/cloudevents-batch+json", Encoding.UTF8);
        });

        endpoints.MapDelete(Route, () =>
        {
            store.Clear();
            return Results.NoContent();
        });

        return endpoints;
    }

    /// <summary>Parses a publish body in either schema; Event Grid schema events are converted to CloudEvents.</summary>
    public static IReadOnlyList<CloudEvent> Parse(BinaryData body)
    {
        using var document = JsonDocument.Parse(body);
        var first = document.RootElement.ValueKind == JsonValueKind.Array
            ? document.RootElement.EnumerateArray().FirstOrDefault()
            : document.RootElement;

        if (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("eventType", out _) && !first.TryGetProperty("specversion", out _))
        {
            return EventGridEvent.ParseMany(body)
                .Select(e => new CloudEvent(e.Topic ?? "/eventgrid", e.EventType, e.Data, "application/json", CloudEventDataFormat.Binary)
                {
                    Id = e.Id,
                    Subject = e.Subject,
                    Time = e.EventTime,
                })
                .ToArray();
        }

        return CloudEvent.ParseMany(body);
    }
}
