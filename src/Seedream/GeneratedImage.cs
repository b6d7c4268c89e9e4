using Seedream.Streaming;

namespace Seedream;

/// <summary>A failed image of a group (<c>data[i].error</c>, <c>partial_failed</c>).</summary>
/// <param name="Code">The provider's code, e.g. <c>OutputImageSensitiveContentDetected</c>.</param>
/// <param name="Message">The provider's message.</param>
public sealed record ImageGenerationError(string Code, string Message);

/// <summary>One image of a response, handed out as soon as the response reaches it.</summary>
/// <remarks>Build instances for tests with <see cref="SeedreamModelFactory.GeneratedImage"/>; derive to mock.</remarks>
public class GeneratedImage
{
    private readonly SeedreamClient? _client;
    private readonly long _maxImageBytes;
    private readonly ReadOnlyMemory<byte>? _fixedContent;
    private Base64ContentStream? _inlineContent;
    private ImageContentGuardStream? _openedContent;
    private string? _size;

    /// <summary>For mocking frameworks.</summary>
    protected GeneratedImage()
    {
    }

    internal GeneratedImage(int index, string? outputFormat, SeedreamClient? client, long maxImageBytes)
    {
        Index = index;
        OutputFormat = outputFormat is null ? (SeedreamOutputFormat?)null : new SeedreamOutputFormat(outputFormat);
        _client = client;
        _maxImageBytes = maxImageBytes;
    }

    /// <summary>The model factory's image: fixed content or a URL, no client behind it.</summary>
    internal GeneratedImage(int index, Uri? url, ReadOnlyMemory<byte>? content, string? size, SeedreamOutputFormat? outputFormat, ImageGenerationError? error)
    {
        Index = index;
        Url = url;
        _fixedContent = content;
        Size = size;
        OutputFormat = outputFormat;
        Error = error;
    }

    /// <summary>Position in <c>data[]</c>, or the SSE <c>image_index</c>.</summary>
    public virtual int Index { get; internal set; }

    /// <summary>True unless the provider reported an <see cref="Error"/> for this image.</summary>
    public virtual bool Succeeded => Error is null;

    /// <summary>The provider's error for a failed image of a group; null for a generated image.</summary>
    public virtual ImageGenerationError? Error { get; internal set; }

    /// <summary>Presigned result URL (response_format=url); valid 24 h.</summary>
    public virtual Uri? Url { get; internal set; }

    /// <summary>True when the bytes are in the response itself (response_format=b64_json).</summary>
    public virtual bool HasInlineContent => _inlineContent is not null || _fixedContent is not null;

    /// <summary><c>WxH</c> as reported; for b64_json items possibly known only after the content was read.</summary>
    public virtual string? Size
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

    /// <summary>Width in pixels, from <see cref="Size"/>.</summary>
    public virtual int? Width { get; private set; }

    /// <summary>Height in pixels, from <see cref="Size"/>.</summary>
    public virtual int? Height { get; private set; }

    /// <summary><c>png</c> or <c>jpeg</c> when known (from the response item, else the request or the model's default).</summary>
    public virtual SeedreamOutputFormat? OutputFormat { get; internal set; }

    /// <summary><c>image/png</c> or <c>image/jpeg</c>: from the bytes' signature once read, else from <see cref="OutputFormat"/>.</summary>
    public virtual string ContentType =>
        _openedContent?.DetectedContentType
        ?? (OutputFormat == SeedreamOutputFormat.Png ? "image/png" : "image/jpeg");

    /// <summary>
    /// The image bytes. url: a guarded download through <see cref="SeedreamClient.OpenImageDownloadAsync"/>.
    /// b64_json: decoded straight from the response body, readable once and only until the next image is requested.
    /// Both check the PNG/JPEG signature before handing out bytes and enforce the byte cap.
    /// </summary>
    /// <param name="cancellationToken">Cancels the download (url); inline content is read with the response's token.</param>
    /// <returns>A stream of the image bytes; dispose it.</returns>
    /// <exception cref="InvalidOperationException">The image failed, or its inline content was already read or passed.</exception>
    /// <exception cref="SeedreamException">The download failed or the content is not a PNG/JPEG image within the byte cap.</exception>
    public virtual async Task<Stream> OpenReadAsync(CancellationToken cancellationToken = default)
    {
        if (Error is not null)
        {
            throw new InvalidOperationException($"Image {Index} failed with {Error.Code} and has no content: {Error.Message}");
        }

        if (_fixedContent is not null)
        {
            return new MemoryStream(_fixedContent.Value.ToArray(), writable: false);
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

    /// <summary>Index, size and where the content is (the URL without its query).</summary>
    public override string ToString() =>
        Error is not null ? $"Image {Index}: failed {Error.Code}" : $"Image {Index}: {Size ?? "size unknown"} {(HasInlineContent ? "inline" : Url?.GetLeftPart(UriPartial.Path))}";
}

/// <summary>Billing and token counts of a response (<c>usage</c>).</summary>
public sealed class ImageGenerationUsage
{
    /// <summary>Successful images: the billed quantity.</summary>
    public int GeneratedImages { get; init; }

    /// <summary><c>output_tokens</c>: Σ(W×H)/256 over the generated images; informational, not the billing basis.</summary>
    public long OutputTokens { get; init; }

    /// <summary><c>total_tokens</c> (equal to <see cref="OutputTokens"/> for image generation).</summary>
    public long TotalTokens { get; init; }

    /// <summary><c>input_images</c>: reference images counted by the provider, when reported.</summary>
    public int? InputImages { get; init; }

    /// <summary><c>tool_usage</c>, when tools were used.</summary>
    public ToolUsage? ToolUsage { get; init; }
}

/// <summary>How often tools were used (<c>usage.tool_usage</c>).</summary>
public sealed class ToolUsage
{
    /// <summary>Web searches made (<c>web_search</c>).</summary>
    public int WebSearch { get; init; }
}
