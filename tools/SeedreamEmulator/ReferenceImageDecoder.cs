using System.Buffers.Text;
using Seedream;
using SkiaSharp;

namespace SeedreamEmulator;

/// <summary>
/// Decodes reference images (contract §3.2) as the real API does, for their format and pixel size: data URIs are
/// decoded, URLs are downloaded, and a reference that cannot be downloaded or is not an image is a 400. With <see cref="ExternalReferenceMode.Substitute"/>
/// a URL on another host is not downloaded; the emulator's own reference image of the same name is checked instead.
/// </summary>
internal sealed class ReferenceImageDecoder(EmulatorOptions options, EncodedImageCache cache, HttpClient http) : IDisposable
{
    private const long MaxTotalPixels = 36_000_000;

    // Formats Skia cannot read: accepted without a pixel check.
    private static readonly string[] UncheckedFormats = ["tiff", "heic", "heif"];

    public sealed record Result(ArkError? Error, (int Width, int Height)? Dimensions);

    public async Task<Result> CheckAsync(string reference, int index, ModelCapabilities profile, HttpContext context, string requestId, CancellationToken cancellationToken)
    {
        // The client also takes the media type spelling `jpg`; the server names that format `jpeg` only.
        var formats = profile.ReferenceImageFormats.Where(format => format != "jpg").ToArray();
        if (reference.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return CheckDataUri(reference, index, formats, profile, requestId);
        }

        if (!Uri.TryCreate(reference, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image must be an http(s) URL or a data URI.", requestId));
        }

        if (!PointsAtEmulator(url, context) && options.ExternalReferences == ExternalReferenceMode.Substitute)
        {
            var substitute = await cache.GetAsync(SubstituteKey(url), cancellationToken).ConfigureAwait(false);
            return CheckContent(substitute, null, index, formats, profile, requestId);
        }

        return await FetchAsync(url, index, formats, profile, requestId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The image <c>GET /references/{name}</c> serves for the URL's file name: 1024×1024, PNG unless the name says JPEG.</summary>
    internal static ImageKey SubstituteKey(Uri url)
    {
        var file = url.Segments.Length > 0 ? Uri.UnescapeDataString(url.Segments[^1]) : "reference";
        var dot = file.LastIndexOf('.');
        var extension = dot > 0 ? file[(dot + 1)..].ToLowerInvariant() : "";
        var format = extension is "jpg" or "jpeg" ? ImageFormat.Jpeg : ImageFormat.Png;
        var name = dot > 0 ? file[..dot] : file;
        return ReferenceImages.Key(name, 1024, 1024, format);
    }

    private static bool PointsAtEmulator(Uri url, HttpContext context) =>
        string.Equals(url.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
        || (url.IsLoopback && url.Port == context.Connection.LocalPort);

    private Result CheckDataUri(string reference, int index, string[] formats, ModelCapabilities profile, string requestId)
    {
        const string Prefix = "data:image/";
        const string Marker = ";base64,";
        var marker = reference.IndexOf(Marker, StringComparison.Ordinal);
        if (!reference.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || marker < 0)
        {
            return Fail(ArkErrors.FromTable("InvalidImageURL.InvalidFormat", requestId, param: "image"));
        }

        var format = reference[Prefix.Length..marker];
        var payload = reference.AsSpan(marker + Marker.Length);
        if (payload.IsEmpty)
        {
            return Fail(ArkErrors.FromTable("InvalidImageURL.EmptyURL", requestId, param: "image"));
        }

        if (!reference.StartsWith(Prefix, StringComparison.Ordinal) || format != format.ToLowerInvariant())
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image format `{reference[5..marker]}` in the data URI must be lowercase, e.g. data:image/png;base64,<data>.", requestId));
        }

        if (!formats.Contains(format))
        {
            return Fail(UnsupportedFormat(index, format, formats, requestId));
        }

        if ((long)payload.Length / 4 * 3 > options.MaxReferenceImageBytes + 2)
        {
            return Fail(TooLarge(index, requestId));
        }

        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(payload.Length)];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var length))
        {
            return Fail(ArkErrors.FromTable("InvalidImageURL.InvalidFormat", requestId, param: "image"));
        }

        return CheckContent(bytes.AsSpan(0, length), format, index, formats, profile, requestId);
    }

    private async Task<Result> FetchAsync(Uri url, int index, string[] formats, ModelCapabilities profile, string requestId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return Fail(DownloadFailed(index, $"HTTP {(int)response.StatusCode}", requestId));
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > options.MaxReferenceImageBytes)
                {
                    return Fail(TooLarge(index, requestId));
                }
            }

            return CheckContent(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), null, index, formats, profile, requestId);
        }
        catch (HttpRequestException exception)
        {
            return Fail(DownloadFailed(index, exception.HttpRequestError.ToString(), requestId));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(DownloadFailed(index, "timeout", requestId));
        }
    }

    private static Result CheckContent(ReadOnlySpan<byte> bytes, string? declaredFormat, int index, string[] formats, ModelCapabilities profile, string requestId)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return declaredFormat is not null && UncheckedFormats.Contains(declaredFormat)
                ? new Result(null, null)
                : Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image content could not be decoded.", requestId));
        }

        var actualFormat = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => "jpeg",
            SKEncodedImageFormat.Png => "png",
            SKEncodedImageFormat.Webp => "webp",
            SKEncodedImageFormat.Bmp => "bmp",
            SKEncodedImageFormat.Gif => "gif",
            SKEncodedImageFormat.Heif => "heif",
            var other => other.ToString().ToLowerInvariant(),
        };
        if (!formats.Contains(actualFormat))
        {
            return Fail(UnsupportedFormat(index, actualFormat, formats, requestId));
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 14 || height <= 14)
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image width and height must be greater than 14 pixels. Current dimensions: {width}x{height}.", requestId));
        }

        var maxRatio = profile.SupportsTextToImage ? 16.0 : 3.0; // SeedEdit: 1/3 to 3
        var ratio = width / (double)height;
        if (ratio > maxRatio || ratio < 1 / maxRatio)
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the aspect ratio (width/height) must be between 1/{maxRatio:0} and {maxRatio:0}. Current dimensions: {width}x{height}.", requestId));
        }

        if ((long)width * height > MaxTotalPixels)
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: Image exceeds the maximum allowed total pixels. Current dimensions: {width}x{height} = {(long)width * height} pixels. Maximum allowed: {MaxTotalPixels} pixels.", requestId));
        }

        return new Result(null, (width, height));
    }

    /// <summary>The wording is the emulator's own (inferred): the provider documents no message for an unreadable reference URL.</summary>
    private static ArkError DownloadFailed(int index, string reason, string requestId) =>
        ArkErrors.Invalid("image", $"Image {index} failed: the image could not be downloaded ({reason}).", requestId);

    private ArkError TooLarge(int index, string requestId) =>
        ArkErrors.Invalid("image", $"Image {index} failed: Image exceeds the maximum allowed size of {options.MaxReferenceImageBytes} bytes.", requestId);

    private static ArkError UnsupportedFormat(int index, string format, string[] formats, string requestId) =>
        ArkErrors.Invalid("image", $"Image {index} failed: the image format `{format}` is not supported, supported formats are {string.Join(", ", formats)}.", requestId);

    private static Result Fail(ArkError error) => new(error, null);

    public void Dispose() => http.Dispose();
}
