using Azure;
using Azure.Storage.Blobs.Models;

namespace Seedream.Functions;

/// <summary>A thumbnail's bytes, ready to send.</summary>
public sealed record Thumbnail(Stream Content, long Length);

/// <summary>
/// The view page's thumbnails, stored beside what they show: <c>{id}/{index}.thumb.jpg</c> for image
/// <c>{id}/{index}.png</c>, <c>{id}/references/{index}.thumb.jpg</c> for an inline reference image. Each is made on its
/// first request (so the runner stores images without waiting for thumbnails) and read from storage afterwards.
/// </summary>
public sealed class ThumbnailStore
{
    /// <summary>Thumbnails made at once per instance; each holds a few tens of MB at most (docs/benchmarks.md).</summary>
    public const int MaxConcurrentThumbnails = 2;

    private readonly PipelineStorage _storage;
    private readonly ImageStore _images;
    private readonly SemaphoreSlim _making = new(MaxConcurrentThumbnails, MaxConcurrentThumbnails);

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
            // The download is read as libvips asks for it: the image is never whole in memory.
            var download = await _images.OpenReadAsync(imageBlobName, ct).ConfigureAwait(false);
            return download?.Content;
        }, cancellationToken);

    /// <summary>The thumbnail of an inline (<c>data:</c> URI) reference image, decoded from the job's request.</summary>
    public Task<Thumbnail?> GetForReferenceAsync(string jobId, int index, ReadOnlyMemory<byte> image, CancellationToken cancellationToken) =>
        GetOrMakeAsync(ReferenceBlobName(jobId, index), _ => Task.FromResult<Stream?>(new MemoryStream(image.ToArray(), writable: false)), cancellationToken);

    private async Task<Thumbnail?> GetOrMakeAsync(string blobName, Func<CancellationToken, Task<Stream?>> openSource, CancellationToken cancellationToken)
    {
        if (await TryReadAsync(blobName, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        await _making.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request may have made it while this one waited.
            if (await TryReadAsync(blobName, cancellationToken).ConfigureAwait(false) is { } madeMeanwhile)
            {
                return madeMeanwhile;
            }

            var source = await openSource(cancellationToken).ConfigureAwait(false);
            if (source is null)
            {
                return null;
            }

            var thumbnail = new MemoryStream();
            await using (source.ConfigureAwait(false))
            {
                try
                {
                    // libvips reads synchronously: keep it off the request's thread.
                    await Task.Run(() => ThumbnailMaker.Write(source, thumbnail), cancellationToken).ConfigureAwait(false);
                }
                catch (NetVips.VipsException e)
                {
                    throw new ThumbnailException($"The image cannot be read as PNG or JPEG: {e.Message.Trim()}", e);
                }
            }

            thumbnail.Position = 0;
            await _storage.Images.GetBlobClient(blobName).UploadAsync(thumbnail, new Azure.Storage.Blobs.Models.BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = ThumbnailMaker.ContentType },
            }, cancellationToken).ConfigureAwait(false);
            thumbnail.Position = 0;
            return new Thumbnail(thumbnail, thumbnail.Length);
        }
        finally
        {
            _making.Release();
        }
    }

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

/// <summary>The stored bytes are not an image libvips can read.</summary>
public sealed class ThumbnailException(string message, Exception innerException) : Exception(message, innerException);
