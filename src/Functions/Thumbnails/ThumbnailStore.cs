using Azure;
using Azure.Storage.Blobs.Models;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Thumbnails;

/// <summary>A thumbnail's bytes, ready to send.</summary>
public sealed record Thumbnail(Stream Content, long Length);

/// <summary>
/// The view page's thumbnails, stored beside what they show: <c>{id}/{index}.thumb.jpg</c> for image
/// <c>{id}/{index}.png</c>, <c>{id}/references/{index}.thumb.jpg</c> for an inline reference image. Each is made on its
/// first request (so the runner stores images without waiting for thumbnails) and read from storage afterwards.
/// </summary>
public sealed class ThumbnailStore
{
    private readonly PipelineStorage _storage;
    private readonly ImageStore _images;

    /// <summary>Thumbnails are admitted by what they cost to decode (<see cref="ImageDecodeBudget.CostOf"/>), not by count.</summary>
    private readonly MemoryBudget _making = new(ImageDecodeBudget.InstanceBytes);

    public ThumbnailStore(PipelineStorage storage, ImageStore images)
    {
        _storage = storage;
        _images = images;
    }

    /// <summary>The stored thumbnail's blob name for an image blob (<c>{id}/{index}.png</c> → <c>{id}/{index}.thumb.jpg</c>).</summary>
    public static string BlobNameFor(string imageBlobName)
    {
        var dot = imageBlobName.LastIndexOf('.');
        return (dot > imageBlobName.LastIndexOf('/') ? imageBlobName[..dot] : imageBlobName) + ".thumb.jpg";
    }

    public static string ReferenceBlobName(string jobId, int index) =>
        $"{jobId}/references/{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}.thumb.jpg";

    /// <summary>The thumbnail of a stored image; null when the image does not exist.</summary>
    public Task<Thumbnail?> GetForImageAsync(string imageBlobName, CancellationToken cancellationToken) =>
        GetOrMakeAsync(BlobNameFor(imageBlobName), async ct =>
        {
            // The download is read as libvips asks for it: the image is never whole in memory. A stored image's facts
            // are all in its first bytes, read here and replayed.
            if (await _images.OpenReadAsync(imageBlobName, ct).ConfigureAwait(false) is not { } download)
            {
                return null;
            }

            var header = new byte[ImageHeader.HeaderBytes];
            var length = await download.Content.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            var image = ImageHeader.Inspect(header.AsSpan(0, length));
            return new ThumbnailSource(image, new ImageStore.PrefixedStream(header.AsMemory(0, length), download.Content));
        }, cancellationToken);

    /// <summary>The thumbnail of an inline (<c>data:</c> URI) reference image, decoded from the job's request.</summary>
    public Task<Thumbnail?> GetForReferenceAsync(string jobId, int index, ReadOnlyMemory<byte> image, CancellationToken cancellationToken) =>
        GetOrMakeAsync(ReferenceBlobName(jobId, index), _ => Task.FromResult<ThumbnailSource?>(new ThumbnailSource(
            // The same facts the intake judged: read from the whole file, GIF frames and TIFF pages included.
            ImageHeader.Inspect(image.Span),
            new MemoryStream(image.ToArray(), writable: false))), cancellationToken);

    private async Task<Thumbnail?> GetOrMakeAsync(string blobName, Func<CancellationToken, Task<ThumbnailSource?>> openSource, CancellationToken cancellationToken)
    {
        if (await TryReadAsync(blobName, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        if (await openSource(cancellationToken).ConfigureAwait(false) is not { } source)
        {
            return null;
        }

        var thumbnail = new MemoryStream();
        await using (source.Content.ConfigureAwait(false))
        {
            var image = source.Image ?? throw new ThumbnailException($"The bytes are no image format we take ({ReferenceImageRules.Formats}).");
            if (ImageDecodeBudget.Check(image) is { } problem)
            {
                throw new ThumbnailException(problem);
            }

            using var admission = await _making.AcquireAsync(ImageDecodeBudget.CostOf(image), cancellationToken).ConfigureAwait(false);
            // Another request may have made it while this one waited.
            if (await TryReadAsync(blobName, cancellationToken).ConfigureAwait(false) is { } madeMeanwhile)
            {
                return madeMeanwhile;
            }

            // libvips reads synchronously: keep it off the request's thread.
            await Task.Run(() => ThumbnailMaker.Write(image, source.Content, thumbnail), cancellationToken).ConfigureAwait(false);
        }

        thumbnail.Position = 0;
        await _storage.Images.GetBlobClient(blobName).UploadAsync(thumbnail, new Azure.Storage.Blobs.Models.BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ThumbnailMaker.ContentType },
        }, cancellationToken).ConfigureAwait(false);
        thumbnail.Position = 0;
        return new Thumbnail(thumbnail, thumbnail.Length);
    }

    /// <summary>What a thumbnail is made from: the header facts (null when the bytes are no image we take) and the bytes.</summary>
    private sealed record ThumbnailSource(ImageHeader? Image, Stream Content);

    private async Task<Thumbnail?> TryReadAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var download = await _storage.Images.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new Thumbnail(download.Value.Content, download.Value.Details.ContentLength);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>No thumbnail can be made of the bytes: no image we take, truncated, undecodable, or over the decode budget.</summary>
public sealed class ThumbnailException : Exception
{
    public ThumbnailException(string message)
        : base(message)
    {
    }

    public ThumbnailException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
