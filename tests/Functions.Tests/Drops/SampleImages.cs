using NetVips;

namespace Seedream.Functions.Tests.Drops;

/// <summary>Small real images of each layout the header reader tells apart, written by libvips.</summary>
internal static class SampleImages
{
    public static byte[] Write(string kind, int width, int height)
    {
        using var xy = Image.Xyz(width, height);
        using var rgb = (xy[0] * (255.0 / width)).Bandjoin(xy[1] * (255.0 / height), xy[0] * 0.5).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        using var rgba16 = (rgb.Bandjoin(xy[1].Cast(Enums.BandFormat.Uchar)).Cast(Enums.BandFormat.Ushort) * 257).Cast(Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Rgb16);
        return kind switch
        {
            "png-interlaced-16" => rgba16.PngsaveBuffer(interlace: true),
            "png" => rgb.PngsaveBuffer(),
            "jpeg-progressive" => rgb.JpegsaveBuffer(interlace: true),
            "jpeg" => rgb.JpegsaveBuffer(),
            "tiff-tiled" => rgb.TiffsaveBuffer(tile: true, tileWidth: 64, tileHeight: 64),
            "tiff-stripped" => rgb.TiffsaveBuffer(),
            "gif" => rgb.GifsaveBuffer(),
            "webp" => rgb.WebpsaveBuffer(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
