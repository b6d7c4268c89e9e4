using System.Buffers;
using System.Buffers.Text;

namespace Seedream.Streaming;

/// <summary>
/// Decodes one <c>b64_json</c> string straight from the response body: base64 characters are pulled from the scanner
/// in window-sized chunks and decoded with <see cref="Base64.DecodeFromUtf8(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/>,
/// carrying an incomplete quad to the next chunk. Neither the string nor the image is ever held whole.
/// </summary>
internal sealed class Base64ContentStream : Stream
{
    private const int EncodedChunkSize = 64 * 1024;

    private readonly JsonStreamScanner _scanner;
    private readonly int _imageIndex;
    private readonly Func<CancellationToken, ValueTask> _onCompleted;
    private byte[]? _encoded = ArrayPool<byte>.Shared.Rent(EncodedChunkSize);
    private byte[]? _decoded = ArrayPool<byte>.Shared.Rent(EncodedChunkSize / 4 * 3 + 3);
    private int _encodedCount;
    private int _decodedStart;
    private int _decodedEnd;
    private bool _stringEnded;
    private bool _finished;

    /// <param name="scanner">Positioned inside the string (after the opening quote).</param>
    /// <param name="imageIndex">For error messages.</param>
    /// <param name="onCompleted">Called once, after the closing quote was consumed, to parse the rest of the item.</param>
    public Base64ContentStream(JsonStreamScanner scanner, int imageIndex, Func<CancellationToken, ValueTask> onCompleted)
    {
        _scanner = scanner;
        _imageIndex = imageIndex;
        _onCompleted = onCompleted;
    }

    /// <summary>Set when the response has moved past this item; reading then fails.</summary>
    public bool IsDetached { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (IsDetached)
        {
            throw new InvalidOperationException($"The content of image {_imageIndex} is no longer available: the response has moved on to the next image. Read an inline image before requesting the next one.");
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_decodedStart == _decodedEnd)
        {
            if (_finished)
            {
                return 0;
            }

            await DecodeNextChunkAsync(cancellationToken).ConfigureAwait(false);
        }

        var count = Math.Min(buffer.Length, _decodedEnd - _decodedStart);
        _decoded.AsSpan(_decodedStart, count).CopyTo(buffer.Span);
        _decodedStart += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Consumes whatever the caller did not read, so the response can move to the next item.</summary>
    public async ValueTask SkipRemainderAsync(CancellationToken cancellationToken)
    {
        if (!_stringEnded)
        {
            await _scanner.SkipStreamedStringAsync(cancellationToken).ConfigureAwait(false);
            _stringEnded = true;
            await _onCompleted(cancellationToken).ConfigureAwait(false);
        }

        _finished = true;
        Detach();
    }

    public void Detach()
    {
        IsDetached = true;
        ReturnBuffers();
    }

    private async ValueTask DecodeNextChunkAsync(CancellationToken cancellationToken)
    {
        var encoded = _encoded!;
        if (!_stringEnded)
        {
            var read = await _scanner.ReadStringBytesAsync(encoded.AsMemory(_encodedCount, EncodedChunkSize - _encodedCount), cancellationToken).ConfigureAwait(false);
            _encodedCount += read;
            if (read == 0)
            {
                _stringEnded = true;
                await _onCompleted(cancellationToken).ConfigureAwait(false);
            }
        }

        // Until the closing quote, hold back the last quad: padding is only valid in the final one.
        var decodable = _stringEnded ? _encodedCount : Math.Max(0, _encodedCount - 4);
        var status = Base64.DecodeFromUtf8(encoded.AsSpan(0, decodable), _decoded, out var consumed, out var written, isFinalBlock: _stringEnded);
        if (status == OperationStatus.InvalidData || (_stringEnded && status != OperationStatus.Done))
        {
            throw new SeedreamException(
                $"Image {_imageIndex}: b64_json is not valid base64 (at about byte {consumed} of the current chunk).",
                200, SeedreamException.InvalidImageContentCode, isTransient: false, mayHaveReachedServer: true);
        }

        Buffer.BlockCopy(encoded, consumed, encoded, 0, _encodedCount - consumed);
        _encodedCount -= consumed;
        _decodedStart = 0;
        _decodedEnd = written;
        if (_stringEnded && _encodedCount == 0)
        {
            _finished = true;
        }
    }

    protected override void Dispose(bool disposing)
    {
        // The response owns the position in the body; disposing the stream only stops this consumer.
        if (disposing)
        {
            IsDetached = true;
        }

        base.Dispose(disposing);
    }

    private void ReturnBuffers()
    {
        if (_encoded is not null)
        {
            ArrayPool<byte>.Shared.Return(_encoded);
            _encoded = null;
        }

        if (_decoded is not null)
        {
            ArrayPool<byte>.Shared.Return(_decoded);
            _decoded = null;
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
