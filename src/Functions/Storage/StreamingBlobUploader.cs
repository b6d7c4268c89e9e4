using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Seedream.Functions.Runtime;

namespace Seedream.Functions.Storage;

/// <summary>
/// Uploads a stream of unknown length (a decoding or downloading image) into a block blob with bounded memory: the next
/// block is read while up to <c>concurrency</c> blocks are being sent, so at most <c>concurrency</c> + 1 blocks are
/// buffered. A source that fits in one block goes up in a single Put Blob (the SDK stages a block and commits it
/// instead, two requests). Every request carries the MD5 of its bytes, which the service verifies.
/// </summary>
/// <remarks>
/// Pass a pool of its own (<see cref="CreateBufferPool"/>): <see cref="ArrayPool{T}.Shared"/> keeps large arrays per
/// thread and per core, so blocks rented on one thread and returned on another pile up there and memory grows with every
/// upload (measured: 24 to 51 MB over 1 to 15 images of 4K, docs/benchmarks.md 6.1).
/// </remarks>
internal static class StreamingBlobUploader
{
    /// <summary>Uploads <paramref name="source"/> to its end and returns the bytes uploaded.</summary>
    public static async Task<long> UploadAsync(
        BlockBlobClient blob, Stream source, ArrayPool<byte> pool, int blockBytes, int concurrency, BlobHttpHeaders headers,
        IDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var inFlight = new Queue<(Task Upload, byte[] Buffer)>();
        var blockIds = new List<string>();
        long total = 0;
        using var stopBlocks = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                var buffer = pool.Rent(blockBytes);
                int length;
                try
                {
                    // Read the next block while up to `concurrency` blocks are still being sent.
                    length = await source.ReadAtLeastAsync(buffer.AsMemory(0, blockBytes), blockBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    total += length;
                    if (blockIds.Count == 0 && length < blockBytes)
                    {
                        // A known length under the single-upload threshold: one Put Blob, its MD5 computed by the SDK.
                        await blob.UploadAsync(new MemoryStream(buffer, 0, length, writable: false), new BlobUploadOptions
                        {
                            HttpHeaders = headers,
                            Metadata = metadata,
                            TransferOptions = new StorageTransferOptions { InitialTransferSize = blockBytes, MaximumTransferSize = blockBytes },
                            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
                        }, cancellationToken).ConfigureAwait(false);
                        return total;
                    }

                    if (length > 0)
                    {
                        if (inFlight.Count >= concurrency)
                        {
                            await CompleteOldestAsync(inFlight, pool).ConfigureAwait(false);
                        }

                        var blockId = BlockId(blockIds.Count);
                        blockIds.Add(blockId);
                        var upload = blob.StageBlockAsync(blockId, new MemoryStream(buffer, 0, length, writable: false),
                            new BlockBlobStageBlockOptions { TransferValidation = Md5(buffer.AsSpan(0, length)) }, stopBlocks.Token);
                        inFlight.Enqueue((upload, buffer));
                        buffer = null;
                    }
                }
                finally
                {
                    if (buffer is not null)
                    {
                        pool.Return(buffer);
                    }
                }

                if (length < blockBytes)
                {
                    break;
                }
            }

            while (inFlight.Count > 0)
            {
                await CompleteOldestAsync(inFlight, pool).ConfigureAwait(false);
            }

            await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata }, cancellationToken).ConfigureAwait(false);
            return total;
        }
        finally
        {
            if (inFlight.Count > 0)
            {
                // A block or the source failed: stop the other blocks, and wait for them before their buffers are reused.
                await stopBlocks.CancelAsync().ConfigureAwait(false);
                while (inFlight.Count > 0)
                {
                    try
                    {
                        await CompleteOldestAsync(inFlight, pool).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // The first failure is the one that propagates.
                    }
                }
            }
        }
    }

    /// <summary>A pool for blocks of <paramref name="blockBytes"/> that keeps at most <paramref name="retainedBlocks"/> of them, and none once the app is idle.</summary>
    public static ArrayPool<byte> CreateBufferPool(int blockBytes, int retainedBlocks) => new ReleasableBufferPool(blockBytes, retainedBlocks);

    private static async Task CompleteOldestAsync(Queue<(Task Upload, byte[] Buffer)> inFlight, ArrayPool<byte> pool)
    {
        var (upload, buffer) = inFlight.Dequeue();
        try
        {
            await upload.ConfigureAwait(false);
        }
        finally
        {
            pool.Return(buffer);
        }
    }

    private static UploadTransferValidationOptions Md5(ReadOnlySpan<byte> content) => new()
    {
        ChecksumAlgorithm = StorageChecksumAlgorithm.MD5,
        PrecalculatedChecksum = MD5.HashData(content),
    };

    // Block ids must all have the same length within a blob.
    private static string BlockId(int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(index.ToString("d6", CultureInfo.InvariantCulture)));
}
