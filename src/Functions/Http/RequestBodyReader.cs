using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Seedream.Functions;

/// <summary>Reads a submission body up to <see cref="PipelineOptions.MaxRequestBodyBytes"/>; larger bodies are refused unread.</summary>
public sealed class RequestBodyReader
{
    private readonly long _maxBytes;

    public RequestBodyReader(IOptions<PipelineOptions> options) => _maxBytes = options.Value.MaxRequestBodyBytes;

    public long MaxBytes => _maxBytes;

    /// <summary>The body, or null when it is larger than allowed (declared or actual length).</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > _maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is long length ? (int)length : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            // Chunked bodies declare no length: stop as soon as the limit is passed.
            if (buffer.Length + read > _maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
