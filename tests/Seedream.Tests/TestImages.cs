using System.Buffers.Binary;

namespace Seedream.Tests;

/// <summary>Pixel size from PNG (IHDR) and JPEG (SOFn) headers; no imaging library needed.</summary>
internal static class TestImages
{
    public static (int Width, int Height) ReadSize(byte[] image)
    {
        if (image.Length >= 24 && image[0] == 0x89 && image[1] == (byte)'P')
        {
            return (BinaryPrimitives.ReadInt32BigEndian(image.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(image.AsSpan(20)));
        }

        if (image.Length >= 4 && image[0] == 0xFF && image[1] == 0xD8)
        {
            var position = 2;
            while (position + 9 < image.Length)
            {
                if (image[position] != 0xFF)
                {
                    throw new InvalidDataException($"JPEG marker expected at {position}.");
                }

                var marker = image[position + 1];
                var length = BinaryPrimitives.ReadUInt16BigEndian(image.AsSpan(position + 2));
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                {
                    return (BinaryPrimitives.ReadUInt16BigEndian(image.AsSpan(position + 7)), BinaryPrimitives.ReadUInt16BigEndian(image.AsSpan(position + 5)));
                }

                position += 2 + length;
            }
        }

        throw new InvalidDataException("Neither a PNG nor a JPEG with a frame header.");
    }

    public static async Task<byte[]> ReadAllAsync(GeneratedImage image, CancellationToken cancellationToken = default)
    {
        await using var stream = await image.OpenReadAsync(cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>A minimal valid PNG header followed by filler, of the given pixel size.</summary>
    public static byte[] FakePng(int width, int height, int totalBytes = 64)
    {
        var bytes = new byte[Math.Max(totalBytes, 24)];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        for (var i = 24; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }
}
