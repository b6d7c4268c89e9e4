using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text;
using Seedream.Http;
using Seedream.Streaming;

namespace Seedream;

/// <summary>
/// An answer to a generation request whose headers have arrived. The body (JSON or SSE) is read once, in order, by
/// <see cref="ReadImagesAsync"/>; images are handed out as the body reaches them, never buffered.
/// </summary>
/// <remarks>Build instances for tests with <see cref="SeedreamModelFactory.ImageGenerationResponse"/>; derive to mock.</remarks>
public class ImageGenerationResponse : IAsyncDisposable
{
    private const string PartialSucceeded = "image_generation.partial_succeeded";
    private const string PartialFailed = "image_generation.partial_failed";
    private const string Completed = "image_generation.completed";
    private const string ErrorEvent = "error";
    private const int MaxSseLineValueBytes = 16 * 1024;

    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _lifetime;
    private readonly BodyReader _reader;
    private readonly JsonStreamScanner _scanner;
    private readonly SeedreamClient _client;
    private readonly string? _defaultOutputFormat;
    private readonly long _maxImageBytes;
    private readonly string? _apiKey;
    private readonly IReadOnlyList<GeneratedImage>? _fixedImages;
    private readonly GenerationTelemetry? _telemetry;
    private bool _readStarted;

    /// <summary>For mocking frameworks.</summary>
    protected ImageGenerationResponse()
    {
        _response = null!;
        _reader = null!;
        _scanner = null!;
        _lifetime = null!;
        _client = null!;
    }

    /// <summary>The model factory's response: fixed images and usage, no body behind it.</summary>
    internal ImageGenerationResponse(IReadOnlyList<GeneratedImage> images, string? model, DateTimeOffset? created, ImageGenerationUsage? usage,
        IReadOnlyList<ImageGenerationTool>? tools, bool isStreaming, string? requestId)
        : this()
    {
        _fixedImages = images;
        Model = model;
        Created = created;
        Usage = usage;
        Tools = tools;
        IsStreaming = isStreaming;
        RequestId = requestId;
    }

    internal ImageGenerationResponse(
        HttpResponseMessage response,
        BodyReader reader,
        bool isStreaming,
        CancellationTokenSource lifetime,
        SeedreamClient client,
        string? defaultOutputFormat,
        long maxImageBytes,
        string? clientRequestId,
        string? apiKey,
        GenerationTelemetry? telemetry = null)
    {
        _telemetry = telemetry;
        _response = response;
        _reader = reader;
        _scanner = new JsonStreamScanner(reader);
        _lifetime = lifetime;
        _client = client;
        _defaultOutputFormat = defaultOutputFormat;
        _maxImageBytes = maxImageBytes;
        _apiKey = apiKey;
        IsStreaming = isStreaming;
        ClientRequestId = clientRequestId;
        RequestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
    }

    /// <summary>Server request id (<c>x-request-id</c>).</summary>
    public virtual string? RequestId { get; }

    /// <summary>The <c>X-Client-Request-Id</c> this client sent.</summary>
    public virtual string? ClientRequestId { get; }

    /// <summary>True for a server-sent-event body (stream=true), false for one JSON document.</summary>
    public virtual bool IsStreaming { get; }

    /// <summary>Model as echoed by the server; known once the body reached it.</summary>
    public virtual string? Model { get; private set; }

    /// <summary>The response's <c>created</c> time; known once the body reached it.</summary>
    public virtual DateTimeOffset? Created { get; private set; }

    /// <summary>Known once <see cref="ReadImagesAsync"/> has completed.</summary>
    public virtual ImageGenerationUsage? Usage { get; private set; }

    /// <summary>Tools the model actually used.</summary>
    public virtual IReadOnlyList<ImageGenerationTool>? Tools { get; private set; }

    /// <summary>
    /// Single pass over the body: one item per <c>data[]</c> element or per <c>partial_*</c> event, in order. An
    /// inline (b64_json) item's content must be read before the next item is requested; whatever is unread is skipped.
    /// A top-level <c>error</c> in a 200 body, or an SSE error event, throws <see cref="SeedreamException"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The images in the order the body holds them.</returns>
    /// <exception cref="InvalidOperationException">The body was already read.</exception>
    /// <exception cref="SeedreamException">The body holds an error, is cut short or is not the expected JSON/SSE.</exception>
    public virtual async IAsyncEnumerable<GeneratedImage> ReadImagesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_readStarted)
        {
            throw new InvalidOperationException("The response body can be read only once.");
        }

        _readStarted = true;
        if (_fixedImages is not null)
        {
            foreach (var fixedImage in _fixedImages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return fixedImage;
            }

            yield break;
        }

        var items = IsStreaming ? ReadEventStreamAsync(cancellationToken) : ReadJsonDocumentAsync(cancellationToken);
        var enumerator = items.GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                GeneratedImage image;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    image = enumerator.Current;
                }
                catch (Exception ex)
                {
                    _telemetry?.Finish(Model, Usage, ex);
                    throw;
                }

                _telemetry?.ImageSeen(image);
                yield return image;
            }
        }

        _telemetry?.Finish(Model, Usage, failure: null);
    }

    /// <summary>Releases the connection; an unread body is abandoned.</summary>
    /// <returns>A completed task.</returns>
    public virtual ValueTask DisposeAsync()
    {
        _telemetry?.Finish(Model, Usage, failure: null, abandoned: true);
        _response?.Dispose();
        _reader?.Dispose();
        _lifetime?.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private async IAsyncEnumerable<GeneratedImage> ReadJsonDocumentAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (token == JsonToken.EndOfInput)
        {
            throw BodyReader.Truncated("the body is empty");
        }

        if (token != JsonToken.StartObject)
        {
            throw _reader.Invalid("expected a JSON object");
        }

        while (true)
        {
            token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (token == JsonToken.EndObject)
            {
                yield break;
            }

            ExpectPropertyName(token);
            switch (_scanner.StringValue)
            {
                case "model":
                    Model = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "created":
                    Created = ToTime(await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false));
                    break;
                case "usage":
                    Usage = await ReadUsageAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "tools":
                    Tools = await ReadToolsAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "error":
                    var error = await ReadErrorAsync(cancellationToken).ConfigureAwait(false);
                    throw ErrorInBody(error);
                case "data":
                    if (await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false) is var start && start == JsonToken.Null)
                    {
                        break;
                    }

                    if (start != JsonToken.StartArray)
                    {
                        throw _reader.Invalid("\"data\" must be an array");
                    }

                    var position = 0;
                    while (true)
                    {
                        var element = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
                        if (element == JsonToken.EndArray)
                        {
                            break;
                        }

                        if (element != JsonToken.StartObject)
                        {
                            throw element == JsonToken.EndOfInput ? BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside \"data\"") : _reader.Invalid("\"data\" elements must be objects");
                        }

                        var item = new ItemState(NewImage(position++), isEvent: false);
                        await ParseItemAsync(item, cancellationToken).ConfigureAwait(false);
                        yield return item.Image;
                        await FinishItemAsync(item, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                default:
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async IAsyncEnumerable<GeneratedImage> ReadEventStreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? eventName = null;
        var nextIndex = 0;
        var completed = false;
        while (await _reader.EnsureAsync(1, cancellationToken).ConfigureAwait(false))
        {
            var first = _reader.Buffered[0];
            if (first is (byte)'\n' or (byte)'\r')
            {
                // A blank line ends the event.
                _reader.Advance(1);
                eventName = null;
                continue;
            }

            var field = await ReadSseFieldNameAsync(cancellationToken).ConfigureAwait(false);
            if (field == "event")
            {
                eventName = await ReadSseLineValueAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (field != "data")
            {
                await SkipSseLineAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (eventName is not null && eventName is not (PartialSucceeded or PartialFailed or Completed or ErrorEvent))
            {
                // Unknown or preview events (image_generation.partial_image) are skipped unread, however long.
                await SkipSseLineAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!await _reader.EnsureAsync(1, cancellationToken).ConfigureAwait(false) || _reader.Buffered[0] != '{')
            {
                var value = await ReadSseLineValueAsync(cancellationToken).ConfigureAwait(false);
                if (value.Trim() == "[DONE]")
                {
                    yield break;
                }

                continue;
            }

            _reader.Advance(1);
            var item = new ItemState(NewImage(nextIndex), isEvent: true) { Type = eventName };
            await ParseItemAsync(item, cancellationToken).ConfigureAwait(false);
            Model ??= item.Model;
            Created ??= ToTime(item.Created);

            var type = eventName ?? item.Type;
            if (item.Image.InlineContent is not null || type is PartialSucceeded or PartialFailed)
            {
                item.Image.Error = item.Error;
                nextIndex = item.Image.Index + 1;
                yield return item.Image;
                await FinishItemAsync(item, cancellationToken).ConfigureAwait(false);
            }
            else if (type == Completed)
            {
                Usage = item.Usage ?? Usage;
                Tools = item.Tools ?? Tools;
                completed = true;
            }
            else if (item.Error is not null && (type is null or ErrorEvent))
            {
                throw ErrorInBody(item.Error);
            }

            await SkipSseLineAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!completed)
        {
            throw BodyReader.Truncated($"the event stream ended after {_reader.Position} bytes without image_generation.completed or [DONE]");
        }
    }

    private GeneratedImage NewImage(int index) => new(index, _defaultOutputFormat, _client, _maxImageBytes);

    /// <summary>Parses an item (or event) object up to its end, or up to the start of its inline image.</summary>
    private async ValueTask ParseItemAsync(ItemState item, CancellationToken cancellationToken)
    {
        var image = item.Image;
        while (true)
        {
            var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (token == JsonToken.EndObject)
            {
                item.IsComplete = true;
                if (!item.IsEvent)
                {
                    image.Error = item.Error;
                }

                return;
            }

            ExpectPropertyName(token);
            switch (_scanner.StringValue)
            {
                case "url":
                    var url = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    image.Url = Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : throw _reader.Invalid($"image {image.Index} has an invalid url");
                    break;
                // Preview frames (partial_image) and events of other types carry no result image.
                case "b64_json" when item.IsPreview || item.Type is not (null or PartialSucceeded) || image.InlineContent is not null:
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "b64_json":
                    if (await _scanner.BeginStreamedStringAsync(cancellationToken).ConfigureAwait(false))
                    {
                        image.AttachInlineContent(new Base64ContentStream(_scanner, image.Index, ct => CompleteItemPropertiesAsync(item, ct)));
                        return;
                    }

                    break;
                case "size":
                    image.Size = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "output_format":
                    if (await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false) is { } outputFormat)
                    {
                        image.OutputFormat = outputFormat;
                    }

                    break;
                case "error":
                    item.Error = await ReadErrorAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "type" when item.IsEvent:
                    var type = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    item.Type ??= type;
                    break;
                case "image_index" when item.IsEvent:
                    image.Index = (int)(await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false) ?? image.Index);
                    break;
                case "partial_image_index" when item.IsEvent:
                    item.IsPreview = true;
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "usage" when item.IsEvent:
                    item.Usage = await ReadUsageAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "tools" when item.IsEvent:
                    item.Tools = await ReadToolsAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "model" when item.IsEvent:
                    item.Model = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "created" when item.IsEvent:
                    item.Created = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Skips unread inline content and parses the rest of the item; afterwards its content is unavailable.</summary>
    private async ValueTask FinishItemAsync(ItemState item, CancellationToken cancellationToken)
    {
        if (item.Image.InlineContent is { } content)
        {
            await content.SkipRemainderAsync(cancellationToken).ConfigureAwait(false);
        }

        await CompleteItemPropertiesAsync(item, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses what follows the inline image in its object (e.g. a "size" after "b64_json").</summary>
    private async ValueTask CompleteItemPropertiesAsync(ItemState item, CancellationToken cancellationToken)
    {
        while (!item.IsComplete)
        {
            await ParseItemAsync(item, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<ImageGenerationError> ReadErrorAsync(CancellationToken cancellationToken)
    {
        var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (token == JsonToken.String)
        {
            return new ImageGenerationError("Error", _scanner.StringValue);
        }

        if (token != JsonToken.StartObject)
        {
            if (token is JsonToken.StartArray)
            {
                await _scanner.SkipRestOfContainerAsync(cancellationToken).ConfigureAwait(false);
            }

            return new ImageGenerationError("Error", "The server reported an error without details.");
        }

        string? code = null;
        string? message = null;
        while ((token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false)) != JsonToken.EndObject)
        {
            ExpectPropertyName(token);
            switch (_scanner.StringValue)
            {
                case "code":
                    code = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "message":
                    message = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        return new ImageGenerationError(code ?? "Error", message ?? string.Empty);
    }

    private async ValueTask<ImageGenerationUsage?> ReadUsageAsync(CancellationToken cancellationToken)
    {
        var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (token != JsonToken.StartObject)
        {
            if (token is JsonToken.StartArray)
            {
                await _scanner.SkipRestOfContainerAsync(cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        long generated = 0, output = 0, total = 0;
        long? inputImages = null;
        ToolUsage? toolUsage = null;
        while ((token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false)) != JsonToken.EndObject)
        {
            ExpectPropertyName(token);
            switch (_scanner.StringValue)
            {
                case "generated_images":
                    generated = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false) ?? 0;
                    break;
                case "output_tokens":
                    output = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false) ?? 0;
                    break;
                case "total_tokens":
                    total = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false) ?? 0;
                    break;
                case "input_images":
                    inputImages = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false);
                    break;
                case "tool_usage":
                    toolUsage = await ReadToolUsageAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        return new ImageGenerationUsage
        {
            GeneratedImages = (int)generated,
            OutputTokens = output,
            TotalTokens = total,
            InputImages = (int?)inputImages,
            ToolUsage = toolUsage,
        };
    }

    private async ValueTask<ToolUsage?> ReadToolUsageAsync(CancellationToken cancellationToken)
    {
        var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (token != JsonToken.StartObject)
        {
            if (token is JsonToken.StartArray)
            {
                await _scanner.SkipRestOfContainerAsync(cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        long webSearch = 0;
        while ((token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false)) != JsonToken.EndObject)
        {
            ExpectPropertyName(token);
            if (_scanner.StringValue == "web_search")
            {
                webSearch = await _scanner.ReadInt64Async(cancellationToken).ConfigureAwait(false) ?? 0;
            }
            else
            {
                await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new ToolUsage { WebSearch = (int)webSearch };
    }

    private async ValueTask<IReadOnlyList<ImageGenerationTool>?> ReadToolsAsync(CancellationToken cancellationToken)
    {
        var token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (token != JsonToken.StartArray)
        {
            if (token is JsonToken.StartObject)
            {
                await _scanner.SkipRestOfContainerAsync(cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        var tools = new List<ImageGenerationTool>();
        while ((token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false)) != JsonToken.EndArray)
        {
            if (token != JsonToken.StartObject)
            {
                throw token == JsonToken.EndOfInput ? BodyReader.Truncated("the body ended inside \"tools\"") : _reader.Invalid("\"tools\" elements must be objects");
            }

            var tool = new ImageGenerationTool();
            while ((token = await _scanner.ReadAsync(cancellationToken).ConfigureAwait(false)) != JsonToken.EndObject)
            {
                ExpectPropertyName(token);
                if (_scanner.StringValue == "type")
                {
                    tool.Type = await _scanner.ReadStringAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _scanner.SkipValueAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            tools.Add(tool);
        }

        return tools;
    }

    private void ExpectPropertyName(JsonToken token)
    {
        if (token == JsonToken.EndOfInput)
        {
            throw BodyReader.Truncated($"the body ended after {_reader.Position} bytes, inside the JSON document");
        }

        if (token != JsonToken.PropertyName)
        {
            throw _reader.Invalid($"expected a property name, found {token}");
        }
    }

    private SeedreamException ErrorInBody(ImageGenerationError error) => new(
        Http.SeedreamErrorParser.Redact($"The Seedream API reported an error in the response body: {error.Code}: {error.Message} {SeedreamException.AdviceFor(400, error.Code)}".TrimEnd(), _apiKey),
        (int)_response.StatusCode, error.Code, requestId: RequestId,
        isTransient: error.Code is "InternalServiceError" or "ServerOverloaded" || error.Code.Contains("RateLimit", StringComparison.Ordinal),
        mayHaveReachedServer: true);

    /// <summary>Reads an SSE field name through its colon (and one optional space). Comment lines give "".</summary>
    private async ValueTask<string> ReadSseFieldNameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = _reader.Buffered;
            var colon = buffered.IndexOfAny((byte)':', (byte)'\n');
            if (colon >= 0)
            {
                var name = Encoding.UTF8.GetString(buffered[..colon]).TrimEnd('\r');
                if (buffered[colon] == '\n')
                {
                    // A field without a value: leave the line end for SkipSseLineAsync.
                    _reader.Advance(colon);
                    return name;
                }

                _reader.Advance(colon + 1);
                if (await _reader.EnsureAsync(1, cancellationToken).ConfigureAwait(false) && _reader.Buffered[0] == ' ')
                {
                    _reader.Advance(1);
                }

                return name;
            }

            if (buffered.Length >= 64)
            {
                // Not a field we know; the caller skips the line.
                return string.Empty;
            }

            if (!await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return string.Empty;
            }
        }
    }

    private async ValueTask<string> ReadSseLineValueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = _reader.Buffered;
            var end = buffered.IndexOf((byte)'\n');
            if (end >= 0 || !await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                buffered = _reader.Buffered;
                end = buffered.IndexOf((byte)'\n');
                var length = end >= 0 ? end : buffered.Length;
                var value = Encoding.UTF8.GetString(buffered[..length]).TrimEnd('\r');
                _reader.Advance(end >= 0 ? end + 1 : length);
                return value;
            }

            if (_reader.BufferedCount >= MaxSseLineValueBytes)
            {
                throw _reader.Invalid($"an SSE line longer than {MaxSseLineValueBytes} bytes where a short one was expected");
            }
        }
    }

    private async ValueTask SkipSseLineAsync(CancellationToken cancellationToken)
    {
        while (_reader.BufferedCount > 0 || await _reader.FillAsync(cancellationToken).ConfigureAwait(false))
        {
            var end = _reader.Buffered.IndexOf((byte)'\n');
            if (end >= 0)
            {
                _reader.Advance(end + 1);
                return;
            }

            _reader.Advance(_reader.BufferedCount);
        }
    }

    private static DateTimeOffset? ToTime(long? unixSeconds) =>
        unixSeconds is { } seconds && seconds >= 0 && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private sealed class ItemState(GeneratedImage image, bool isEvent)
    {
        public GeneratedImage Image { get; } = image;

        public bool IsEvent { get; } = isEvent;

        public bool IsComplete { get; set; }

        public bool IsPreview { get; set; }

        public string? Type { get; set; }

        public ImageGenerationError? Error { get; set; }

        public ImageGenerationUsage? Usage { get; set; }

        public IReadOnlyList<ImageGenerationTool>? Tools { get; set; }

        public string? Model { get; set; }

        public long? Created { get; set; }
    }
}
