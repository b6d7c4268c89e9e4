using System.Security.Cryptography;
using System.Text;

namespace SeedreamEmulator;

/// <summary>The emulator's own reference images: deterministic per name, served at <c>GET /references/{name}.{png|jpeg}</c>.</summary>
internal static class ReferenceImages
{
    public static ImageKey Key(string name, int width, int height, ImageFormat format)
    {
        var seed = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0);
        return new ImageKey(width, height, format, seed, Watermark: false, Noise: false);
    }
}
