namespace Seedream;

/// <summary>
/// Builds the client's output types for callers' tests: responses, images, usage, model entries and exceptions, with
/// no HTTP behind them.
/// </summary>
public static class SeedreamModelFactory
{
    /// <summary>A response whose <see cref="Seedream.ImageGenerationResponse.ReadImagesAsync"/> yields <paramref name="images"/>.</summary>
    /// <param name="images">The images, in order.</param>
    /// <param name="model">The echoed model id.</param>
    /// <param name="created">The response's <c>created</c> time.</param>
    /// <param name="usage">The usage (available before the images are read).</param>
    /// <param name="tools">Tools the model used.</param>
    /// <param name="isStreaming">Whether it stands for a server-sent-event response.</param>
    /// <param name="requestId">The server request id.</param>
    /// <returns>A response that can be read once.</returns>
    public static ImageGenerationResponse ImageGenerationResponse(
        IEnumerable<GeneratedImage> images,
        string? model = null,
        DateTimeOffset? created = null,
        ImageGenerationUsage? usage = null,
        IEnumerable<ImageGenerationTool>? tools = null,
        bool isStreaming = false,
        string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new ImageGenerationResponse(images.ToArray(), model, created, usage, tools?.ToArray(), isStreaming, requestId);
    }

    /// <summary>An image with inline <paramref name="content"/> (as from <c>b64_json</c>), a <paramref name="url"/>, or an <paramref name="error"/>.</summary>
    /// <param name="index">Its position in the response.</param>
    /// <param name="content">The bytes <see cref="Seedream.GeneratedImage.OpenReadAsync"/> returns (no signature check).</param>
    /// <param name="url">The result URL (the image has no client to download it with).</param>
    /// <param name="size">The reported <c>WxH</c>.</param>
    /// <param name="outputFormat">The reported format.</param>
    /// <param name="error">The error of a failed image.</param>
    /// <returns>The image.</returns>
    public static GeneratedImage GeneratedImage(
        int index,
        ReadOnlyMemory<byte>? content = null,
        Uri? url = null,
        string? size = null,
        SeedreamOutputFormat? outputFormat = null,
        ImageGenerationError? error = null) =>
        new(index, url, content, size, outputFormat, error);

    /// <summary>Usage as a response reports it.</summary>
    /// <param name="generatedImages">Successful (billed) images.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <param name="totalTokens">Total tokens; defaults to <paramref name="outputTokens"/>.</param>
    /// <param name="inputImages">Reference images counted.</param>
    /// <param name="webSearches">Web searches made.</param>
    /// <returns>The usage.</returns>
    public static ImageGenerationUsage ImageGenerationUsage(int generatedImages, long outputTokens = 0, long? totalTokens = null, int? inputImages = null, int? webSearches = null) =>
        new()
        {
            GeneratedImages = generatedImages,
            OutputTokens = outputTokens,
            TotalTokens = totalTokens ?? outputTokens,
            InputImages = inputImages,
            ToolUsage = webSearches is { } searches ? new ToolUsage { WebSearch = searches } : null,
        };

    /// <summary>The error of a failed image of a group.</summary>
    /// <param name="code">The provider's code.</param>
    /// <param name="message">The provider's message.</param>
    /// <returns>The error.</returns>
    public static ImageGenerationError ImageGenerationError(string code, string message) => new(code, message);

    /// <summary>An entry of a model list.</summary>
    /// <param name="id">The model id.</param>
    /// <param name="createdAt">When it was published.</param>
    /// <param name="ownedBy">Its owner.</param>
    /// <returns>The entry.</returns>
    public static SeedreamModelInfo SeedreamModelInfo(string id, DateTimeOffset? createdAt = null, string? ownedBy = null) => new(id, createdAt, ownedBy);

    /// <summary>An exception as the client throws it for an error answer.</summary>
    /// <param name="status">The HTTP status (0: no response).</param>
    /// <param name="errorCode">The provider's code, e.g. <c>InvalidParameter</c> or <c>model_not_found</c>.</param>
    /// <param name="message">The message.</param>
    /// <param name="param">The parameter at fault.</param>
    /// <param name="requestId">The server request id.</param>
    /// <param name="isTransient">Whether a later retry may succeed; by default decided from the code, then the status, as the client does.</param>
    /// <param name="mayHaveReachedServer">Whether the request may have been billed.</param>
    /// <returns>The exception.</returns>
    public static SeedreamException SeedreamException(int status, string? errorCode, string message, string? param = null, string? requestId = null,
        bool? isTransient = null, bool mayHaveReachedServer = true) =>
        new(message, status, errorCode, param, errorType: null, requestId, isTransient, mayHaveReachedServer);
}
