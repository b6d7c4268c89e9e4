using Seedream.Functions.Storage;

namespace Seedream.Functions.Thumbnails;

/// <summary>How a complete file of a format ends: PNG with its IEND chunk, JPEG with EOI, GIF with its trailer.</summary>
internal static class ImageEnding
{
    private static readonly byte[] s_png = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];
    private static readonly byte[] s_jpeg = [0xFF, 0xD9];
    private static readonly byte[] s_gif = [0x3B];

    /// <summary>The bytes a complete file ends with; null for formats whose end is judged otherwise (TIFF pages, WebP and HEIF boxes).</summary>
    public static byte[]? For(string format) => format switch
    {
        "png" => s_png,
        "jpeg" => s_jpeg,
        "gif" => s_gif,
        _ => null,
    };
}

/// <summary>Passes a source through, keeping its last bytes, so that once the decoder is done the file's end marker can be checked.</summary>
internal sealed class ImageEndingStream(Stream source, byte[] ending) : ReadOnlyStream
{
    private readonly byte[] _tail = new byte[ending.Length];
    private int _tailLength;

    public override int Read(Span<byte> buffer)
    {
        var read = source.Read(buffer);
        Keep(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Keep(buffer.Span[..read]);
        return read;
    }

    /// <summary>Reads what the decoder left (bounded by the source) and tells whether the file ends with its marker.</summary>
    public bool ReachedEnd()
    {
        var rest = new byte[16 * 1024];
        while (Read(rest) > 0)
        {
        }

        return _tailLength == ending.Length && _tail.AsSpan().SequenceEqual(ending);
    }

    private void Keep(ReadOnlySpan<byte> read)
    {
        if (read.Length >= _tail.Length)
        {
            read[^_tail.Length..].CopyTo(_tail);
            _tailLength = _tail.Length;
            return;
        }

        // Shift the kept bytes left and append the new ones.
        var keep = Math.Min(_tailLength, _tail.Length - read.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        read.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + read.Length;
    }
}
