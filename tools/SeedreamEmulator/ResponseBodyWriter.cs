using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SeedreamEmulator;

/// <summary>
/// Writes a response body in bounded chunks. Images are base64-encoded slice by slice straight into the
/// body, so a response with many large images never exists in memory as a whole.
/// </summary>
internal sealed class ResponseBodyWriter(Stream body) : IDisposable
{
    private const int BufferSize = 128 * 1024;
    private const int Base64SliceBytes = 48 * 1024; // a multiple of 3: slices encode without padding
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _count;

    /// <summary>A JSON string literal (quoted and escaped).</summary>
    public static string Quote(string value) => JsonSerializer.Serialize(value, JsonOptions);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);

    public async ValueTask WriteAsync(string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (_count == _buffer.Length)
            {
                await FlushBufferAsync(cancellationToken).ConfigureAwait(false);
            }

            var length = Math.Min(bytes.Length - offset, _buffer.Length - _count);
            bytes.AsSpan(offset, length).CopyTo(_buffer.AsSpan(_count));
            _count += length;
            offset += length;
        }
    }

    /// <summary>Writes <paramref name="data"/> as base64; <paramref name="corrupt"/> prefixes characters outside the alphabet.</summary>
    public async ValueTask WriteBase64Async(ReadOnlyMemory<byte> data, bool corrupt, CancellationToken cancellationToken)
    {
        if (corrupt)
        {
            await WriteAsync("!!!!", cancellationToken).ConfigureAwait(false);
        }

        for (var offset = 0; offset < data.Length; offset += Base64SliceBytes)
        {
            var length = Math.Min(Base64SliceBytes, data.Length - offset);
            if (_buffer.Length - _count < Base64.GetMaxEncodedToUtf8Length(length))
            {
                await FlushBufferAsync(cancellationToken).ConfigureAwait(false);
            }

            EncodeSlice(data.Span.Slice(offset, length));
        }
    }

    /// <summary>Sends everything written so far to the client.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await FlushBufferAsync(cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    private void EncodeSlice(ReadOnlySpan<byte> slice)
    {
        Base64.EncodeToUtf8(slice, _buffer.AsSpan(_count), out _, out var written);
        _count += written;
    }

    private async ValueTask FlushBufferAsync(CancellationToken cancellationToken)
    {
        if (_count > 0)
        {
            await body.WriteAsync(_buffer.AsMemory(0, _count), cancellationToken).ConfigureAwait(false);
            _count = 0;
        }
    }
}

/// <summary>Thrown when the <c>truncate</c> fault has cut the connection.</summary>
internal sealed class ResponseTruncatedException : Exception
{
    public ResponseTruncatedException()
        : base("The emulator aborted the response (truncate fault).")
    {
    }
}

/// <summary>Lets the first <c>limit</c> body bytes through, then aborts the connection (<c>truncate</c> fault).</summary>
internal sealed class TruncatingStream(Stream inner, HttpContext context, long limit) : Stream
{
    private static readonly TimeSpan DeliveryGrace = TimeSpan.FromMilliseconds(250);
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var allowed = (int)Math.Min(buffer.Length, Math.Max(0, limit - _written));
        if (allowed > 0)
        {
            await inner.WriteAsync(buffer[..allowed], cancellationToken).ConfigureAwait(false);
            _written += allowed;
        }

        if (allowed < buffer.Length)
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);

            // Aborting resets the connection at once, dropping bytes the transport has not sent yet.
            await Task.Delay(DeliveryGrace, CancellationToken.None).ConfigureAwait(false);
            context.Abort();
            throw new ResponseTruncatedException();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => throw new NotSupportedException("Synchronous writes are not used.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous writes are not used.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
