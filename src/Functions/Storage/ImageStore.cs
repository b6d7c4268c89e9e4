using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Storage;

/// <summary>A SAS URL and when it stops working.</summary>
public sealed record ReadUrl(Uri Url, DateTimeOffset ExpiresOn);

/// <summary>Image blobs <c>{id}/{index}.{png|jpeg}</c>: streamed uploads, read URLs and downloads.</summary>
public class ImageStore
{

    private readonly PipelineStorage _storage;
    private readonly PipelineOptions _options;
    private readonly BlobSasIssuer _sas;
    private readonly System.Buffers.ArrayPool<byte> _blockPool;

    /// <summary>A store that signs its read URLs itself (tools and benchmarks without DI).</summary>
    public ImageStore(PipelineStorage storage, IOptions<PipelineOptions> options, TimeProvider time)
        : this(storage, options, new BlobSasIssuer((storage ?? throw new ArgumentNullException(nameof(storage))).BlobService, time))
    {
    }

    public ImageStore(PipelineStorage storage, IOptions<PipelineOptions> options, BlobSasIssuer sas)
    {
        _storage = storage;
        _options = options.Value;
        _sas = sas;
        // Enough blocks for a few uploads at once; more concurrent uploads rent beyond it and leave the extra to the GC.
        _blockPool = StreamingBlobUploader.CreateBufferPool(_options.UploadBlockBytes, retainedBlocks: 4 * (_options.UploadConcurrency + 1));
    }

    /// <summary>Streams <paramref name="content"/> into the job's blob for <paramref name="index"/>; the format comes from the bytes' signature.</summary>
    public virtual async Task<StoredImage> UploadAsync(
        string jobId, int index, Stream content, string fallbackContentType, string? model, int? width, int? height,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        // The first bytes give the format and, for responses that report the size late or not at all, the pixel size
        // (PNG IHDR, JPEG start-of-frame); they are replayed into the upload.
        var header = new byte[StoredHeaderBytes];
        var headerLength = await content.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var inspected = ImageHeader.Inspect(header.AsSpan(0, headerLength));
        var contentType = inspected?.Format switch
        {
            "png" => PngContentType,
            "jpeg" => JpegContentType,
            _ => fallbackContentType,
        };
        width ??= inspected?.Width;
        height ??= inspected?.Height;

        var blobName = BlobName(jobId, index, contentType);
        var blob = _storage.Images.GetBlockBlobClient(blobName);
        var blobMetadata = BlobMetadata(jobId, index, model, width, height, metadata);
        await using var upload = new PrefixedStream(header.AsMemory(0, headerLength), content);
        // Blocks keep memory flat: at most UploadConcurrency + 1 blocks of an image are buffered, never the image.
        var bytes = await StreamingBlobUploader.UploadAsync(blob, upload, _blockPool, _options.UploadBlockBytes, _options.UploadConcurrency,
            new BlobHttpHeaders { ContentType = contentType }, blobMetadata, cancellationToken).ConfigureAwait(false);
        return new StoredImage(index, blobName, blob.Uri, contentType, width, height, bytes);
    }

    /// <summary>A read-only URL for a stored image, valid for <see cref="PipelineOptions.ReadUrlLifetime"/>.</summary>
    public virtual Task<ReadUrl> GetReadUrlAsync(string blobName, CancellationToken cancellationToken) =>
        _sas.GetReadUrlAsync(_storage.Images.GetBlobClient(blobName), _options.ReadUrlLifetime, cancellationToken);

    /// <summary>The image's bytes and content type; null when the blob does not exist.</summary>
    public virtual async Task<BlobDownloadStreamingResult?> OpenReadAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _storage.Images.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return result.Value;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public static string BlobName(string jobId, int index, string contentType) =>
        $"{jobId}/{index}.{(contentType == PngContentType ? "png" : "jpeg")}";

    private const string PngContentType = "image/png";
    private const string JpegContentType = "image/jpeg";

    // Reaches a JPEG's start-of-frame behind the usual JFIF/EXIF segments; one small buffer per upload.
    private const int StoredHeaderBytes = 16 * 1024;

    private static Dictionary<string, string> BlobMetadata(string jobId, int index, string? model, int? width, int? height, IReadOnlyDictionary<string, string> metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in metadata)
        {
            // Blob metadata travels as HTTP headers, which carry ASCII only: other values are percent-encoded.
            result[key] = value.All(c => c is >= ' ' and <= '~') ? value : Uri.EscapeDataString(value);
        }

        result["seedream_job_id"] = jobId;
        result["seedream_index"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (model is not null)
        {
            result["seedream_model"] = model;
        }

        if (width is int w && height is int h)
        {
            result["seedream_size"] = $"{w}x{h}";
        }

        return result;
    }

    /// <summary>Replays the already-read header bytes, then the rest of the source.</summary>
    internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream source) : ReadOnlyStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(Span<byte> buffer)
        {
            var read = TakePrefix(buffer);
            return read > 0 ? read : source.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = TakePrefix(buffer.Span);
            return read > 0 ? ValueTask.FromResult(read) : source.ReadAsync(buffer, cancellationToken);
        }

        private int TakePrefix(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..count].CopyTo(buffer);
            _prefix = _prefix[count..];
            return count;
        }
    }
}
