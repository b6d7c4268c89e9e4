using Seedream.Streaming;

namespace Seedream;

/// <summary>A failed image of a group (<c>data[i].error</c>, <c>partial_failed</c>).</summary>
public sealed record ImageGenerationError(string Code, string Message);

/// <summary>One image of a response, handed out as soon as the response reaches it.</summary>
public sealed class GeneratedImage
{
    private readonly SeedreamClient? _client;
    private readonly long _maxImageBytes;
    private Base64ContentStream? _inlineContent;
    private ImageContentGuardStream? _openedContent;
    private string? _size;

    /// <summary>Creates an image description (for tests and fakes); content can then only come from <paramref name="url"/>.</summary>
    public GeneratedImage(int index, Uri? url, string? size, string? outputFormat, ImageGenerationError? error = null)
        : this(index, outputFormat, client: null, maxImageBytes: 0)
    {
        Url = url;
        Size = size;
        Error = error;
    }

    internal GeneratedImage(int index, string? outputFormat, SeedreamClient? client, long maxImageBytes)
    {
        Index = index;
        OutputFormat = outputFormat;
        _client = client;
        _maxImageBytes = maxImageBytes;
    }

    /// <summary>Position in <c>data[]</c>, or the SSE <c>image_index</c>.</summary>
    public int Index { get; internal set; }

    public bool Succeeded => Error is null;

    public ImageGenerationError? Error { get; internal set; }

    /// <summary>Presigned result URL (response_format=url); valid 24 h.</summary>
    public Uri? Url { get; internal set; }

    /// <summary>True when the bytes are in the response itself (response_format=b64_json).</summary>
    public bool HasInlineContent => _inlineContent is not null;

    /// <summary><c>WxH</c> as reported; for b64_json items possibly known only after the content was read.</summary>
    public string? Size
    {
        get => _size;
        internal set
        {
            _size = value;
            if (ImageGenerationRequestValidator.TryParseSize(value, out var width, out var height))
            {
                Width = width;
                Height = height;
            }
        }
    }

    public int? Width { get; private set; }

    public int? Height { get; private set; }

    /// <summary><c>png</c> or <c>jpeg</c> when known (from the response item, else the request or the model's default).</summary>
    public string? OutputFormat { get; internal set; }

    /// <summary><c>image/png</c> or <c>image/jpeg</c>: from the bytes' signature once read, else from <see cref="OutputFormat"/>.</summary>
    public string ContentType =>
        _openedContent?.DetectedContentType
        ?? (string.Equals(OutputFormat, "png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");

    /// <summary>
    /// The image bytes. url: a guarded download through <see cref="SeedreamClient.OpenImageDownloadAsync"/>.
    /// b64_json: decoded straight from the response body, readable once and only until the next image is requested.
    /// Both check the PNG/JPEG signature before handing out bytes and enforce the byte cap.
    /// </summary>
    public async Task<Stream> OpenReadAsync(CancellationToken cancellationToken = default)
    {
        if (Error is not null)
        {
            throw new InvalidOperationException($"Image {Index} failed with {Error.Code} and has no content: {Error.Message}");
        }

        if (_inlineContent is not null)
        {
            if (_openedContent is not null)
            {
                throw new InvalidOperationException($"The inline content of image {Index} can be opened only once: it is read straight from the response.");
            }

            if (_inlineContent.IsDetached)
            {
                throw new InvalidOperationException($"The inline content of image {Index} is no longer available: the response has moved on to the next image.");
            }

            _openedContent = new ImageContentGuardStream(_inlineContent, _maxImageBytes, $"Image {Index}", translateFailure: null);
            return _openedContent;
        }

        if (Url is null)
        {
            throw new InvalidOperationException($"Image {Index} has neither a URL nor inline content.");
        }

        if (_client is null)
        {
            throw new InvalidOperationException($"Image {Index} was not produced by a SeedreamClient; download {Url} yourself.");
        }

        var stream = await _client.OpenImageDownloadAsync(Url, cancellationToken).ConfigureAwait(false);
        if (stream is ImageContentGuardStream guarded)
        {
            _openedContent = guarded;
        }

        return stream;
    }

    internal void AttachInlineContent(Base64ContentStream content) => _inlineContent = content;

    internal Base64ContentStream? InlineContent => _inlineContent;

    public override string ToString() =>
        Error is not null ? $"Image {Index}: failed {Error.Code}" : $"Image {Index}: {Size ?? "size unknown"} {(HasInlineContent ? "inline" : Url?.GetLeftPart(UriPartial.Path))}";
}

/// <summary>Billing and token counts of a response (<c>usage</c>).</summary>
public sealed class ImageGenerationUsage
{
    /// <summary>Successful images: the billed quantity.</summary>
    public int GeneratedImages { get; init; }

    public long OutputTokens { get; init; }

    public long TotalTokens { get; init; }

    public int? InputImages { get; init; }

    public ToolUsage? ToolUsage { get; init; }
}

/// <summary>How often tools were used (<c>usage.tool_usage</c>).</summary>
public sealed class ToolUsage
{
    public int WebSearch { get; init; }
}
