namespace Seedream.Streaming;

/// <summary>
/// Hands out an image's bytes only after the first ones proved it is a PNG or JPEG, and stops at the byte cap.
/// Wraps both downloads and decoded b64_json content; disposes what it owns (response, timeout) with itself.
/// </summary>
internal sealed class ImageContentGuardStream : Stream
{
    private const int SignatureLength = 8;
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] JpegSignature = [0xFF, 0xD8, 0xFF];

    private readonly Stream _inner;
    private readonly long _maxBytes;
    private readonly string _subject;
    private readonly IDisposable[] _owned;
    private readonly Func<Exception, Exception?>? _translateFailure;
    private readonly byte[] _header = new byte[SignatureLength];
    private int _headerCount = -1;
    private int _headerServed;
    private long _total;
    private int _disposed;

    /// <param name="inner">The raw image bytes.</param>
    /// <param name="maxBytes">Largest accepted image.</param>
    /// <param name="subject">"Image 3" or the URL's host, for messages.</param>
    /// <param name="translateFailure">Maps read failures (timeout, reset) to a clearer exception, or null to keep them.</param>
    /// <param name="owned">Disposed with this stream.</param>
    public ImageContentGuardStream(Stream inner, long maxBytes, string subject, Func<Exception, Exception?>? translateFailure, params IDisposable[] owned)
    {
        _inner = inner;
        _maxBytes = maxBytes;
        _subject = subject;
        _translateFailure = translateFailure;
        _owned = owned;
    }

    /// <summary><c>image/png</c> or <c>image/jpeg</c> once the first read has checked the signature.</summary>
    public string? DetectedContentType { get; private set; }

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
        if (buffer.IsEmpty)
        {
            return 0;
        }

        try
        {
            if (_headerCount < 0)
            {
                await ReadSignatureAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_headerServed < _headerCount)
            {
                var fromHeader = Math.Min(buffer.Length, _headerCount - _headerServed);
                _header.AsSpan(_headerServed, fromHeader).CopyTo(buffer.Span);
                _headerServed += fromHeader;
                return fromHeader;
            }

            var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _total += read;
            if (_total > _maxBytes)
            {
                throw TooLarge(_maxBytes, _subject);
            }

            return read;
        }
        catch (Exception ex) when (ex is not SeedreamException && _translateFailure?.Invoke(ex) is { } translated)
        {
            throw translated;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    internal static SeedreamException TooLarge(long maxBytes, string subject) => new(
        $"{subject} is larger than the {maxBytes}-byte limit (Seedream:Downloads:MaxImageBytes).",
        errorCode: SeedreamException.ImageTooLargeCode, isTransient: false, mayHaveReachedServer: true);

    private async ValueTask ReadSignatureAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        int read;
        while (count < SignatureLength && (read = await _inner.ReadAsync(_header.AsMemory(count), cancellationToken).ConfigureAwait(false)) > 0)
        {
            count += read;
        }

        var header = _header.AsSpan(0, count);
        DetectedContentType = header.StartsWith(PngSignature) ? "image/png"
            : header.StartsWith(JpegSignature) ? "image/jpeg"
            : throw new SeedreamException(
                $"{_subject} is not a PNG or JPEG image (first bytes: {Convert.ToHexString(header)}).",
                errorCode: SeedreamException.InvalidImageContentCode, isTransient: false, mayHaveReachedServer: true);

        _headerCount = count;
        _total = count;
        if (_total > _maxBytes)
        {
            throw TooLarge(_maxBytes, _subject);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_total > 0)
            {
                Http.SeedreamInstrumentation.ImageBytes.Add(_total);
            }

            _inner.Dispose();
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
