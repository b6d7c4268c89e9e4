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
/// <c>/api/faults</c> queues faults for the next publishes (fail with a status, delay, drop the connection).
/// </summary>
public static class EventGridReceiverEndpoints
{
    public const string Route = "/api/events";
    public const string FaultsRoute = "/api/faults";
    public const string KeyHeader = "aeg-sas-key";

    // Event Grid rejects publish requests over 1 MB; the local topic keeps the same ceiling.
    private const long MaxRequestBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapEventGridReceiver(
        this IEndpointRouteBuilder endpoints, ReceivedEvents store, string key, TextWriter eventLog) =>
        endpoints.MapEventGridReceiver(store, new PublishFaults(), key, eventLog);

    public static IEndpointRouteBuilder MapEventGridReceiver(
        this IEndpointRouteBuilder endpoints, ReceivedEvents store, PublishFaults faults, string key, TextWriter eventLog)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(faults);
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

            var fault = faults.Next();
            IReadOnlyList<CloudEvent> events;
            try
            {
                // The whole body is read first, so that a delayed or dropped publish fails only where the client waits.
                var body = await BinaryData.FromStreamAsync(context.Request.Body, context.RequestAborted);
                switch (fault?.Kind)
                {
                    case PublishFaultKind.Fail:
                        return Results.Problem(statusCode: fault.Status ?? StatusCodes.Status500InternalServerError, detail: "Injected fault: this publish fails.");
                    case PublishFaultKind.Drop:
                        context.Abort();
                        return Results.Empty;
                    case PublishFaultKind.Delay:
                        try
                        {
                            await Task.Delay(fault.Delay!.Value, context.RequestAborted);
                        }
                        catch (OperationCanceledException)
                        {
                            // The publisher gave up (its timeout): as with a real topic that never answered, nothing is kept.
                            return Results.Empty;
                        }

                        break;
                }

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

        endpoints.MapPost(FaultsRoute, async (HttpContext context) =>
        {
            PublishFault? fault;
            try
            {
                fault = await context.Request.ReadFromJsonAsync<PublishFault>(FaultJson, context.RequestAborted);
            }
            catch (JsonException exception)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    detail: $"Expected {{\"kind\": \"fail|delay|drop\", \"count\": 1, \"status\": 503, \"delay\": \"00:00:05\"}}: {exception.Message}");
            }

            var errors = fault is null ? ["body: a JSON object."] : fault.Validate();
            if (errors.Count > 0)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: string.Join(" ", errors));
            }

            faults.Add(fault!);
            return Results.Json(new FaultList(faults.Attempts, faults.Pending()), FaultJson, statusCode: StatusCodes.Status201Created);
        });

        endpoints.MapGet(FaultsRoute, () => Results.Json(new FaultList(faults.Attempts, faults.Pending()), FaultJson));

        endpoints.MapDelete(FaultsRoute, () =>
        {
            faults.Clear();
            return Results.NoContent();
        });

        return endpoints;
    }

    private static readonly JsonSerializerOptions FaultJson = new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter<PublishFaultKind>(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>What <c>GET /api/faults</c> shows: publish requests seen so far and the faults still queued.</summary>
    private sealed record FaultList(int Attempts, IReadOnlyList<PublishFault> Pending);

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
