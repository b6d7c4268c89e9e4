using Seedream.Functions.Storage;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.Intake;

/// <summary>
/// One check for every reference image, wherever it comes from (a data URI, an https URL, an inbox blob): the bytes
/// must carry the signature of a format the model takes (and the one a data URI declares), within the model's byte,
/// pixel and aspect-ratio limits applied to its largest frame or page (<see cref="ImageHeader.CheckLimits"/>), free of
/// defects decoders disagree on, of a variant we can decode (<see cref="ImageHeader.Undecodable"/>: BMP), whole (BMP),
/// and decodable within our own budget (<see cref="ImageDecodeBudget"/>), the same rule the thumbnailer applies. GIF and TIFF facts are spread through the file: read whole where we have the file.
/// </summary>
public static class ReferenceImageRules
{
    public const string Formats = "png, jpeg, webp, bmp, tiff, gif, heic, heif";

    /// <summary>The most bytes read to judge a GIF or TIFF whole: the largest reference any model takes.</summary>
    public const long MaxWholeFileBytes = 30L * 1024 * 1024;

    /// <summary>True when these first bytes start a GIF or TIFF of <paramref name="totalBytes"/> whose facts lie beyond them: read the whole file.</summary>
    public static bool NeedsWholeFile(ReadOnlySpan<byte> firstBytes, long totalBytes) =>
        totalBytes > firstBytes.Length && totalBytes <= MaxWholeFileBytes
        && ImageHeader.Inspect(firstBytes) is { } image && ImageHeader.FactsNeedWholeFile(image.Format);

    /// <summary>Why Seedream would refuse these first bytes as a reference of <paramref name="model"/>; null when they are fine.</summary>
    /// <param name="firstBytes">The start of the file, up to <see cref="ImageHeader.HeaderBytes"/>.</param>
    /// <param name="totalBytes">The whole file's size, when known.</param>
    /// <param name="declaredFormat">A data URI's <c>image/&lt;format&gt;</c>, lowercase; null for URLs and blobs.</param>
    public static string? Check(ReadOnlySpan<byte> firstBytes, long? totalBytes, string? declaredFormat, string? model)
    {
        if (ImageHeader.Inspect(firstBytes) is not { } image)
        {
            return $"The reference is not an image Seedream takes (no {Formats} signature in its first bytes).";
        }

        if (declaredFormat is not null && !SameFormat(declaredFormat, image.Format))
        {
            return $"The data URI says image/{declaredFormat} but its bytes are a {image.Format} image.";
        }

        if ((image.Defect ?? image.Undecodable) is { } problem)
        {
            return problem;
        }

        if (image.Width is null)
        {
            return $"The {image.Format} reference does not reveal its pixel size in its first bytes (truncated or unusual file).";
        }

        if (!image.Complete && totalBytes == firstBytes.Length)
        {
            return $"The {image.Format} reference ends before its last frame or page (truncated file).";
        }

        return image.CheckLimits(totalBytes ?? firstBytes.Length, model) ?? Truncated(image, totalBytes) ?? ImageDecodeBudget.Check(image);
    }

    /// <summary>A BMP's headers say how long the whole file is: one that is shorter would leave rows undecoded.</summary>
    private static string? Truncated(ImageHeader image, long? totalBytes) =>
        image.Bmp is { } bmp && totalBytes < bmp.FileBytes
            ? $"The bmp reference is truncated: its headers and pixel rows take {bmp.FileBytes} bytes, the file has {totalBytes}."
            : null;

    private static bool SameFormat(string declared, string actual) =>
        declared == actual || (declared == "jpg" && actual == "jpeg") || (declared is "heic" or "heif" && actual is "heic" or "heif");
}
