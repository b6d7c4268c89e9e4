using System.Buffers.Text;
using SkiaSharp;

namespace SeedreamEmulator;

/// <summary>Checks reference images (contract §3.2): data URIs are decoded, emulator URLs are fetched, others are accepted unseen.</summary>
internal sealed class ReferenceImageChecker(EmulatorOptions options, HttpClient http) : IDisposable
{
    private const long MaxTotalPixels = 36_000_000;
    private static readonly string[] AllFormats = ["jpeg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif"];
    private static readonly string[] SeedEditFormats = ["jpeg", "png"];

    // Formats Skia cannot read: accepted without a pixel check.
    private static readonly string[] UncheckedFormats = ["tiff", "heic", "heif"];

    public sealed record Result(ArkError? Error, (int Width, int Height)? Dimensions);

    public async Task<Result> CheckAsync(string reference, int index, ModelProfile profile, HttpContext context, string requestId, CancellationToken cancellationToken)
    {
        var formats = profile.Family == "seededit-3.0" ? SeedEditFormats : AllFormats;
        if (reference.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return CheckDataUri(reference, index, formats, profile, requestId);
        }

        if (!Uri.TryCreate(reference, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image must be an http(s) URL or a data URI.", requestId));
        }

        if (!PointsAtEmulator(url, context) && !options.FetchExternalReferences)
        {
            return new Result(null, null);
        }

        return await FetchAsync(url, index, formats, profile, requestId, cancellationToken).ConfigureAwait(false);
    }

    private static bool PointsAtEmulator(Uri url, HttpContext context) =>
        string.Equals(url.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
        || (url.IsLoopback && url.Port == context.Connection.LocalPort);

    private Result CheckDataUri(string reference, int index, string[] formats, ModelProfile profile, string requestId)
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

    private async Task<Result> FetchAsync(Uri url, int index, string[] formats, ModelProfile profile, string requestId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image could not be downloaded (HTTP {(int)response.StatusCode}).", requestId));
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
            return Fail(ArkErrors.Invalid("image", $"Image {index} failed: the image could not be downloaded ({exception.HttpRequestError}).", requestId));
        }
    }

    private static Result CheckContent(ReadOnlySpan<byte> bytes, string? declaredFormat, int index, string[] formats, ModelProfile profile, string requestId)
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

        var maxRatio = profile.Family == "seededit-3.0" ? 3.0 : 16.0;
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

    private ArkError TooLarge(int index, string requestId) =>
        ArkErrors.Invalid("image", $"Image {index} failed: Image exceeds the maximum allowed size of {options.MaxReferenceImageBytes} bytes.", requestId);

    private static ArkError UnsupportedFormat(int index, string format, string[] formats, string requestId) =>
        ArkErrors.Invalid("image", $"Image {index} failed: the image format `{format}` is not supported, supported formats are {string.Join(", ", formats)}.", requestId);

    private static Result Fail(ArkError error) => new(error, null);

    public void Dispose() => http.Dispose();
}
