using System.Buffers;
using System.Net.Http;

namespace Seedream.Streaming;

/// <summary>
/// A fixed-size window over a response body. Everything that parses the body reads through it, so memory stays
/// bounded by the window whatever the size of the body. Read failures become <see cref="SeedreamException"/>s.
/// </summary>
internal sealed class BodyReader : IDisposable
{
    public const int DefaultBufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly CancellationToken _lifetimeToken;
    private readonly CancellationToken _requestToken;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;

    /// <param name="stream">The body.</param>
    /// <param name="lifetimeToken">Cancelled when the request timeout expires (or <paramref name="requestToken"/> is cancelled).</param>
    /// <param name="requestToken">The token the generation was started with: its cancellation stays a cancellation, not a timeout.</param>
    /// <param name="bufferSize">Window size; also the longest single token that is ever buffered.</param>
    public BodyReader(Stream stream, CancellationToken lifetimeToken, CancellationToken requestToken, int bufferSize = DefaultBufferSize)
    {
        _stream = stream;
        _lifetimeToken = lifetimeToken;
        _requestToken = requestToken;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>Bytes consumed so far (for error messages).</summary>
    public long Position { get; private set; }

    /// <summary>The buffered, unconsumed bytes.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int BufferedCount => _end - _start;

    public void Advance(int count)
    {
        _start += count;
        Position += count;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available; false when the body ends first.</summary>
    public async ValueTask<bool> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        while (BufferedCount < count)
        {
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads more of the body into the window; false at the end of the body.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_endOfStream)
        {
            return false;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidOperationException("The body window is full; a token larger than the window must be streamed.");
        }

        int read;
        using (var linked = Link(cancellationToken, out var token))
        {
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (_lifetimeToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_requestToken.IsCancellationRequested)
            {
                throw new SeedreamException(
                    $"The request timed out while reading the response body after {Position + BufferedCount} bytes (Seedream:RequestTimeout).",
                    errorCode: SeedreamException.TimeoutCode, isTransient: true, mayHaveReachedServer: true, innerException: ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw Truncated($"the connection failed after {Position + BufferedCount} bytes of the response body", ex);
            }
        }

        if (read == 0)
        {
            _endOfStream = true;
            return false;
        }

        _end += read;
        return true;
    }

    public static SeedreamException Truncated(string detail, Exception? inner = null) => new(
        $"The response body is incomplete: {detail}. The generation may have been billed; do not repeat it blindly.",
        200, SeedreamException.ResponseTruncatedCode, isTransient: true, mayHaveReachedServer: true, innerException: inner);

    public SeedreamException Invalid(string detail) => new(
        $"The response body is not valid Seedream output at byte {Position}: {detail}.",
        200, SeedreamException.InvalidResponseCode, isTransient: false, mayHaveReachedServer: true);

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private CancellationTokenSource? Link(CancellationToken cancellationToken, out CancellationToken token)
    {
        if (!cancellationToken.CanBeCanceled || cancellationToken == _lifetimeToken)
        {
            token = _lifetimeToken;
            return null;
        }

        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetimeToken);
        token = linked.Token;
        return linked;
    }
}
