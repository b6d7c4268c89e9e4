namespace Seedream.Functions.Storage;

/// <summary>
/// Where a BMP's pixels are and how to read them, from its headers (<see cref="BmpHeaderReader"/>): all our own
/// streaming decoder needs (<see cref="BmpThumbnailReader"/>), read once with the other header facts.
/// </summary>
/// <param name="PixelOffset">Where the pixel rows start, from the file's start.</param>
/// <param name="Stride">Bytes per row, padded to 4.</param>
/// <param name="TopDown">Rows stored from the top (negative height) rather than from the bottom.</param>
/// <param name="BitCount">1, 4 or 8 (palette indices), 16, 24 or 32.</param>
/// <param name="Palette">Red, green, blue of all 2^<paramref name="BitCount"/> entries (missing ones black); empty above 8 bits.</param>
/// <param name="Masks">Red, green, blue and alpha bit masks of a 16- or 32-bit pixel (alpha 0: opaque); empty otherwise.</param>
/// <param name="FileBytes">The least length of a whole file: the pixel offset plus every row.</param>
public sealed record BmpLayout(long PixelOffset, long Stride, bool TopDown, int BitCount, byte[] Palette, uint[] Masks, long FileBytes);
