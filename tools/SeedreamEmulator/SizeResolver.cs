using System.Globalization;
using Seedream;

namespace SeedreamEmulator;

/// <summary>Output dimensions for a <c>size</c> keyword (contract §3.1 tables) or a validated <c>WxH</c>.</summary>
internal static class SizeResolver
{
    private static readonly (int W, int H)[] TableRatios = [(1, 1), (4, 3), (3, 4), (16, 9), (9, 16), (3, 2), (2, 3), (21, 9)];

    // Rows follow TableRatios.
    private static readonly Dictionary<string, (int W, int H)[]> Tables = new(StringComparer.Ordinal)
    {
        ["1K"] = [(1024, 1024), (1152, 864), (864, 1152), (1280, 720), (720, 1280), (1248, 832), (832, 1248), (1512, 648)],
        ["2K"] = [(2048, 2048), (2304, 1728), (1728, 2304), (2848, 1600), (1600, 2848), (2496, 1664), (1664, 2496), (3136, 1344)],
        ["3K"] = [(3072, 3072), (3456, 2592), (2592, 3456), (4096, 2304), (2304, 4096), (3744, 2496), (2496, 3744), (4704, 2016)],
        ["4K"] = [(4096, 4096), (4704, 3520), (3520, 4704), (5504, 3040), (3040, 5504), (4992, 3328), (3328, 4992), (6240, 2656)],
        ["pro:1K"] = [(1024, 1024), (1152, 864), (864, 1152), (1424, 800), (800, 1424), (1248, 832), (832, 1248), (1568, 672)],
        ["pro:2K"] = [(2048, 2048), (2368, 1776), (1776, 2368), (2816, 1584), (1584, 2816), (2496, 1664), (1664, 2496), (3136, 1344)],
    };

    private static readonly Dictionary<string, int> NominalSides = new(StringComparer.Ordinal)
    {
        ["1K"] = 1024,
        ["1.5K"] = 1536,
        ["2K"] = 2048,
        ["3K"] = 3072,
        ["4K"] = 4096,
    };

    public static bool TryParseDimensions(string size, out int width, out int height)
    {
        width = height = 0;
        var separator = size.IndexOf('x', StringComparison.Ordinal);
        return separator > 0
            && int.TryParse(size.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(size.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out height)
            && width > 0 && height > 0;
    }

    /// <summary>Dimensions for a keyword the model accepts; the ratio comes from a prompt hint, 1:1 by default.</summary>
    public static (int Width, int Height) ForKeyword(ModelCapabilities profile, string keyword, (int W, int H)? ratioHint)
    {
        var ratio = ratioHint ?? (1, 1);
        var tableName = profile.Family == ServedModels.Pro50Family && Tables.ContainsKey("pro:" + keyword) ? "pro:" + keyword : keyword;
        if (Tables.TryGetValue(tableName, out var table))
        {
            var row = Array.FindIndex(TableRatios, candidate => candidate.W * ratio.H == candidate.H * ratio.W);
            if (row >= 0)
            {
                return table[row];
            }
        }

        var side = NominalSides[keyword];
        return FromArea((long)side * side, ratio.W / (double)ratio.H);
    }

    /// <summary>SeedEdit <c>adaptive</c>: about 1024² pixels with the reference's ratio, clamped to [1/3, 3].</summary>
    public static (int Width, int Height) Adaptive((int Width, int Height)? reference) =>
        reference is { } dims ? FromArea(1024 * 1024, Math.Clamp(dims.Width / (double)dims.Height, 1 / 3.0, 3.0)) : (1024, 1024);

    private static (int Width, int Height) FromArea(long area, double ratio)
    {
        ratio = Math.Clamp(ratio, 1 / 16.0, 16.0);
        var width = Math.Max(16, (int)Math.Round(Math.Sqrt(area * ratio) / 16) * 16);
        var height = Math.Max(16, (int)Math.Round(Math.Sqrt(area / ratio) / 16) * 16);
        return (width, height);
    }
}
