using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SeedreamEmulator;

/// <summary><c>POST /api/v3/images/generations</c> (Ark) and <c>POST /v1/images/generations</c> (OpenAI-style gateway).</summary>
internal sealed class GenerationEndpoint(
    EmulatorOptions options,
    FaultQueue faults,
    EncodedImageCache cache,
    ResultStore results,
    GenerationRequestValidator validator,
    RateLimiter rateLimiter,
    TimeProvider time)
{
    private const string FaultHeader = "X-Emulator-Fault";
    private const int LoggedRawBodyChars = 4096;

    private enum ItemOutcome
    {
        Succeeded,
        Moderated,
        InternalError,
    }

    public async Task HandleAsync(HttpContext context, bool gatewayRoute)
    {
        var entry = RequestLogMiddleware.EntryOf(context);
        var requestId = NewRequestId();
        var cancellationToken = context.RequestAborted;
        context.Response.Headers["x-request-id"] = requestId;
        if (context.Request.Headers.TryGetValue("X-Client-Request-Id", out var clientRequestId))
        {
            context.Response.Headers["X-Client-Request-Id"] = clientRequestId;
        }

        var (document, rawBody) = await ReadBodyAsync(context.Request, cancellationToken).ConfigureAwait(false);
        using (document)
        {
            if (entry is not null)
            {
                entry.Body = document is null ? rawBody : RequestLog.ElideDataUris(document.RootElement);
            }

            FaultSpec? fault = null;
            try
            {
                fault = ResolveFault(context.Request, document);
            }
            catch (FormatException exception)
            {
                await WriteErrorAsync(context, null, ArkErrors.Invalid(FaultHeader, exception.Message, requestId), cancellationToken).ConfigureAwait(false);
                return;
            }

            try
            {
                await RespondAsync(context, gatewayRoute, document, fault, entry, requestId, cancellationToken).ConfigureAwait(false);
            }
            catch (ResponseTruncatedException)
            {
                // The fault's purpose: the client sees a cut-off body.
            }
        }
    }

    private async Task RespondAsync(HttpContext context, bool gatewayRoute, JsonDocument? document, FaultSpec? fault, RequestLog.Entry? entry, string requestId, CancellationToken cancellationToken)
    {
        if (!IsAuthorized(context.Request))
        {
            context.Response.Headers["x-error-code"] = "AuthN_MissOrInvalidAuthorizationHeader";
            await WriteErrorAsync(context, null, ArkErrors.Authentication(requestId), cancellationToken).ConfigureAwait(false);
            return;
        }

        // A queued fault is consumed only by requests that got past authentication.
        fault ??= faults.TryDequeue();
        if (fault?.Name == "truncate")
        {
            context.Response.Body = new TruncatingStream(context.Response.Body, context, fault.GetLong("after-bytes") ?? 0);
        }

        if (entry is not null)
        {
            entry.Fault = fault?.Text;
        }

        var body = document?.RootElement;
        var model = body is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind == JsonValueKind.String
            ? modelElement.GetString()!
            : null;

        if (await TryApplyRequestFaultAsync(context, fault, model ?? "", requestId, entry, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (body is not { ValueKind: JsonValueKind.Object } request)
        {
            await WriteErrorAsync(context, fault, ArkErrors.FromTable("InvalidParameter", requestId), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(model))
        {
            await WriteErrorAsync(context, fault, ArkErrors.Missing("model", requestId), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ServedModels.Find(model) is not { } found)
        {
            if (gatewayRoute)
            {
                await WriteGatewayErrorAsync(context, fault, ArkErrors.Gateway(503, "model_not_found", model, requestId), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteErrorAsync(context, fault, ArkErrors.ModelNotFound(model, requestId), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var outcome = await validator.ValidateAsync(request, found.Capabilities, found.Echo, context, requestId, cancellationToken).ConfigureAwait(false);
        if (outcome.Plan is not { } plan)
        {
            await WriteErrorAsync(context, fault, outcome.Error!, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (rateLimiter.TryAdmit(plan.ModelEcho, plan.ImageCount) is { } refusal)
        {
            await WriteRateLimitedAsync(context, fault, refusal, plan.ModelEcho, requestId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var outcomes = PlanOutcomes(plan, fault);
        var baseAddress = new Uri($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/");
        var expiredUrls = fault?.Name == "expired-urls";
        var notAnImage = fault?.Name == "not-an-image" ? new HashSet<int> { fault.GetInt("index") ?? 0 } : [];
        var noise = options.NoiseContent;
        var keys = outcomes.Select((item, index) => item == ItemOutcome.Succeeded
            ? new ImageKey(plan.Width, plan.Height, plan.Format, noise ? NoiseSeed(index) : plan.SeedFor(index), plan.Watermark, noise)
            : (ImageKey?)null).ToList();
        if (!plan.InlineImages)
        {
            results.Add(requestId, new StoredGeneration(keys, notAnImage, time.GetUtcNow() + options.UrlLifetime + TimeSpan.FromHours(2)));
        }

        var generation = new Generation(plan, outcomes, keys, notAnImage, requestId, time.GetUtcNow().ToUnixTimeSeconds(),
            fault?.Name == "corrupt-base64" ? fault.GetInt("index") ?? 0 : -1,
            index => results.CreateUrl(baseAddress, requestId, index, plan.Format, expiredUrls));

        if (plan.Stream)
        {
            await StreamAsync(context, fault, generation, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RespondJsonAsync(context, fault, generation, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Generation(
        GenerationPlan Plan,
        IReadOnlyList<ItemOutcome> Outcomes,
        IReadOnlyList<ImageKey?> Keys,
        IReadOnlySet<int> NotAnImage,
        string RequestId,
        long Created,
        int CorruptIndex,
        Func<int, Uri> UrlFor);

    /// <summary>
    /// Noise images ignore the prompt: benchmarks vary prompts but should still hit the cache, because
    /// encoding a 4K noise PNG takes far longer than serving it.
    /// </summary>
    private static ulong NoiseSeed(int index) => 0x5EED_0000_0000_0000UL + (ulong)index;

    private static List<ItemOutcome> PlanOutcomes(GenerationPlan plan, FaultSpec? fault)
    {
        var moderated = fault?.Name == "moderation" ? fault.GetIndexes("indexes") : new HashSet<int>();
        var internalErrorAt = fault?.Name == "internal-error-at" ? fault.GetInt("index") ?? 0 : -1;
        var outcomes = new List<ItemOutcome>();
        for (var index = 0; index < plan.ImageCount; index++)
        {
            if (index == internalErrorAt)
            {
                outcomes.Add(ItemOutcome.InternalError);
                break;
            }

            outcomes.Add(moderated.Contains(index) ? ItemOutcome.Moderated : ItemOutcome.Succeeded);
        }

        return outcomes;
    }

    private async Task RespondJsonAsync(HttpContext context, FaultSpec? fault, Generation generation, CancellationToken cancellationToken)
    {
        var plan = generation.Plan;
        await Task.Delay(options.ImageDelay * generation.Outcomes.Count, time, cancellationToken).ConfigureAwait(false);
        if (!plan.GroupMode && generation.Outcomes[0] != ItemOutcome.Succeeded)
        {
            var code = generation.Outcomes[0] == ItemOutcome.Moderated ? "OutputImageSensitiveContentDetected" : "InternalServiceError";
            await WriteErrorAsync(context, fault, ArkErrors.FromTable(code, generation.RequestId), cancellationToken).ConfigureAwait(false);
            return;
        }

        await HoldHeadersAsync(fault, cancellationToken).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        using var writer = new ResponseBodyWriter(context.Response.Body);
        await writer.WriteAsync($"{{\"model\":{ResponseBodyWriter.Quote(plan.ModelEcho)},\"created\":{generation.Created},\"data\":[", cancellationToken).ConfigureAwait(false);
        for (var index = 0; index < generation.Outcomes.Count; index++)
        {
            if (index > 0)
            {
                await writer.WriteAsync(",", cancellationToken).ConfigureAwait(false);
            }

            if (generation.Outcomes[index] == ItemOutcome.Succeeded)
            {
                await WriteImageFieldsAsync(writer, generation, index, "{", "}", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteAsync($"{{\"error\":{ItemErrorJson(generation, index)}}}", cancellationToken).ConfigureAwait(false);
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await writer.WriteAsync($"],\"usage\":{UsageJson(generation)}{ToolsJson(plan)}}}", cancellationToken).ConfigureAwait(false);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpContext context, FaultSpec? fault, Generation generation, CancellationToken cancellationToken)
    {
        var plan = generation.Plan;
        using var writer = new ResponseBodyWriter(context.Response.Body);
        for (var index = 0; index < generation.Outcomes.Count; index++)
        {
            await Task.Delay(options.ImageDelay, time, cancellationToken).ConfigureAwait(false);
            var succeeded = generation.Outcomes[index] == ItemOutcome.Succeeded;
            var content = succeeded ? await ContentAsync(generation, index, cancellationToken).ConfigureAwait(false) : null;
            if (index == 0)
            {
                // Like the real service, nothing (not even headers) is sent before the first image is done.
                await HoldHeadersAsync(fault, cancellationToken).ConfigureAwait(false);
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "text/event-stream; charset=utf-8";
                context.Response.Headers.CacheControl = "no-cache";
            }

            var type = succeeded ? "image_generation.partial_succeeded" : "image_generation.partial_failed";
            var head = $"event: {type}\ndata: {{\"type\":\"{type}\",\"model\":{ResponseBodyWriter.Quote(plan.ModelEcho)},\"created\":{time.GetUtcNow().ToUnixTimeSeconds()},\"image_index\":{index},";
            if (succeeded)
            {
                await WriteImageFieldsAsync(writer, generation, index, head, "}\n\n", cancellationToken, content).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteAsync($"{head}\"error\":{ItemErrorJson(generation, index)}}}\n\n", cancellationToken).ConfigureAwait(false);
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        const string Completed = "image_generation.completed";
        await writer.WriteAsync(
            $"event: {Completed}\ndata: {{\"type\":\"{Completed}\",\"model\":{ResponseBodyWriter.Quote(plan.ModelEcho)},\"created\":{time.GetUtcNow().ToUnixTimeSeconds()},\"usage\":{UsageJson(generation)}{ToolsJson(plan)}}}\n\ndata: [DONE]\n\n",
            cancellationToken).ConfigureAwait(false);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="open"/>, the url or b64_json and size fields, then <paramref name="close"/>.</summary>
    private async Task WriteImageFieldsAsync(ResponseBodyWriter writer, Generation generation, int index, string open, string close, CancellationToken cancellationToken, byte[]? content = null)
    {
        var plan = generation.Plan;
        var tail = $"\"size\":\"{plan.Width}x{plan.Height}\"{(plan.Capabilities.OutputFormats.Count > 0 ? $",\"output_format\":\"{plan.Format.Extension()}\"" : "")}{close}";
        if (!plan.InlineImages)
        {
            await writer.WriteAsync($"{open}\"url\":{ResponseBodyWriter.Quote(generation.UrlFor(index).AbsoluteUri)},{tail}", cancellationToken).ConfigureAwait(false);
            return;
        }

        content ??= await ContentAsync(generation, index, cancellationToken).ConfigureAwait(false);
        await writer.WriteAsync($"{open}\"b64_json\":\"", cancellationToken).ConfigureAwait(false);
        await writer.WriteBase64Async(content, generation.CorruptIndex == index, cancellationToken).ConfigureAwait(false);
        await writer.WriteAsync($"\",{tail}", cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> ContentAsync(Generation generation, int index, CancellationToken cancellationToken) =>
        generation.NotAnImage.Contains(index)
            ? ImageRenderer.NotAnImage
            : await cache.GetAsync(generation.Keys[index]!.Value, cancellationToken).ConfigureAwait(false);

    private static string ItemErrorJson(Generation generation, int index)
    {
        var code = generation.Outcomes[index] == ItemOutcome.Moderated ? "OutputImageSensitiveContentDetected" : "InternalServiceError";
        return ResponseBodyWriter.Serialize(new { code, message = ArkErrors.ItemMessage(code, generation.RequestId) });
    }

    private static string UsageJson(Generation generation)
    {
        var plan = generation.Plan;
        var succeeded = generation.Outcomes.Count(outcome => outcome == ItemOutcome.Succeeded);
        var tokens = succeeded * (long)plan.Width * plan.Height / 256;
        var toolUsage = plan.WebSearch ? ",\"tool_usage\":{\"web_search\":1}" : "";
        return $"{{\"generated_images\":{succeeded},\"output_tokens\":{tokens},\"total_tokens\":{tokens}{toolUsage}}}";
    }

    private static string ToolsJson(GenerationPlan plan) => plan.WebSearch ? ",\"tools\":[{\"type\":\"web_search\"}]" : "";

    /// <summary>Faults that answer before any validation or generation. True when the response is done.</summary>
    private async Task<bool> TryApplyRequestFaultAsync(HttpContext context, FaultSpec? fault, string model, string requestId, RequestLog.Entry? entry, CancellationToken cancellationToken)
    {
        switch (fault?.Name)
        {
            case "rate-limit":
                if (fault.GetInt("retry-after") is { } retryAfter)
                {
                    context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                }

                await WriteErrorAsync(context, fault, ArkErrors.FromTable("ModelAccountIpmRateLimitExceeded", requestId), cancellationToken).ConfigureAwait(false);
                return true;
            case "error":
                var code = fault.GetString("code") ?? "InternalServiceError";
                await WriteErrorAsync(context, fault, ArkErrors.FromTable(code, requestId, model, fault.GetInt("status")), cancellationToken).ConfigureAwait(false);
                return true;
            case "gateway-error":
                var gatewayCode = fault.GetString("code") ?? "model_not_found";
                await WriteGatewayErrorAsync(context, fault, ArkErrors.Gateway(fault.GetInt("status") ?? 503, gatewayCode, model, requestId), cancellationToken).ConfigureAwait(false);
                return true;
            case "internal-error":
                await WriteErrorAsync(context, fault, ArkErrors.FromTable("InternalServiceError", requestId), cancellationToken).ConfigureAwait(false);
                return true;
            case "reset":
                if (entry is not null)
                {
                    entry.NoResponse = true;
                }

                context.Abort();
                return true;
            default:
                return false;
        }
    }

    private async Task WriteRateLimitedAsync(HttpContext context, FaultSpec? fault, string code, string model, string requestId, CancellationToken cancellationToken)
    {
        if (options.RateLimits.RetryAfterSeconds > 0)
        {
            context.Response.Headers.RetryAfter = options.RateLimits.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        await WriteErrorAsync(context, fault, ArkErrors.FromTable(code, requestId, model), cancellationToken).ConfigureAwait(false);
    }

    private static async Task HoldHeadersAsync(FaultSpec? fault, CancellationToken cancellationToken)
    {
        if (fault?.Name == "slow-headers")
        {
            await Task.Delay(TimeSpan.FromMilliseconds(fault.GetInt("delay-ms") ?? 1000), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, FaultSpec? fault, ArkError error, CancellationToken cancellationToken)
    {
        var json = ResponseBodyWriter.Serialize(new { error = new { code = error.Code, message = error.Message, param = error.Param, type = error.Type } });
        await WriteJsonAsync(context, fault, error.Status, json, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteGatewayErrorAsync(HttpContext context, FaultSpec? fault, GatewayError error, CancellationToken cancellationToken)
    {
        var json = ResponseBodyWriter.Serialize(new { error = new { message = error.Message, type = "new_api_error", param = "", code = error.Code } });
        await WriteJsonAsync(context, fault, error.Status, json, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, FaultSpec? fault, int status, string json, CancellationToken cancellationToken)
    {
        await HoldHeadersAsync(fault, cancellationToken).ConfigureAwait(false);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        using var writer = new ResponseBodyWriter(context.Response.Body);
        await writer.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private bool IsAuthorized(HttpRequest request) => ApiKeyCheck.IsAuthorized(request, options.ApiKey);

    /// <summary>Header fault first, then a fault marker in the prompt; the queue is consulted after authentication.</summary>
    private static FaultSpec? ResolveFault(HttpRequest request, JsonDocument? document)
    {
        var header = request.Headers[FaultHeader].ToString();
        if (!string.IsNullOrWhiteSpace(header))
        {
            return FaultSpec.Parse(header);
        }

        if (document?.RootElement is { ValueKind: JsonValueKind.Object } body
            && body.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
            && PromptHints.FaultSpec(prompt.GetString()!) is { } spec)
        {
            return FaultSpec.Parse(spec);
        }

        return null;
    }

    private static async Task<(JsonDocument? Document, string? RawBody)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        try
        {
            return (JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)), null);
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, LoggedRawBodyChars));
            return (null, text);
        }
    }

    private string NewRequestId() => RequestIds.New(time);
}
