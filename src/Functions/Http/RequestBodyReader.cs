using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Http;

/// <summary>Reads a submission body up to <see cref="PipelineOptions.MaxRequestBodyBytes"/>; larger bodies are refused unread.</summary>
/// <remarks>
/// The body is read in 64 KB chunks (below the large object heap, short-lived, so the first young-generation collection
/// takes them; not pooled, because pools keep what they are given) and copied once into an array of exactly its size. Neither a declared Content-Length nor a growing buffer decides an allocation: a client that declares 8 MB and
/// sends little costs nothing, and a chunked body past the limit leaves no large garbage behind (the doubling buffer this
/// replaced left up to 16 MB of large-object garbage per such request, which an idle app never collected).
/// </remarks>
public sealed class RequestBodyReader
{
    private const int ChunkBytes = 64 * 1024;

    private readonly long _maxBytes;

    public RequestBodyReader(IOptions<PipelineOptions> options) => _maxBytes = options.Value.MaxRequestBodyBytes;

    public long MaxBytes => _maxBytes;

    /// <summary>The body, or null when it is larger than allowed (declared or actual length).</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > _maxBytes)
        {
            return null;
        }

        var chunks = new List<byte[]>();
        long total = 0;
        var filled = ChunkBytes; // bytes used in the last chunk; a full one makes the next read take a new chunk
        while (true)
        {
            if (filled == ChunkBytes)
            {
                chunks.Add(GC.AllocateUninitializedArray<byte>(ChunkBytes));
                filled = 0;
            }

            var read = await request.Body.ReadAsync(chunks[^1].AsMemory(filled, ChunkBytes - filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
            total += read;
            // Chunked bodies declare no length: stop as soon as the limit is passed.
            if (total > _maxBytes)
            {
                return null;
            }
        }

        var body = GC.AllocateUninitializedArray<byte>((int)total);
        var offset = 0;
        foreach (var chunk in chunks)
        {
            var length = (int)Math.Min(ChunkBytes, total - offset);
            chunk.AsSpan(0, length).CopyTo(body.AsSpan(offset));
            offset += length;
        }

        return body;
    }
}
