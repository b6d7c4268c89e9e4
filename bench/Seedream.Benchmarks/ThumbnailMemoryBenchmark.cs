using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NetVips;
using Seedream.Functions;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;
using Seedream.Functions.Thumbnails;

namespace Seedream.Benchmarks;

/// <param name="Only">Measure only the inputs whose name starts with this (e.g. <c>BMP</c>); all when null.</param>
internal sealed record ThumbnailMemoryOptions(int Edge, int Concurrent, string? Only = null);

/// <summary>
/// One input thumbnailed by one route, alone or <c>Concurrent</c> requests at once, in a fresh child process.
/// <c>Refused</c>: the route's intake would not accept the reference (after: <see cref="ReferenceImageRules"/>), so it is never thumbnailed.
/// </summary>
internal sealed record ThumbnailMemoryMeasurement(string Input, string Route, int Requests, bool Refused, string? Outcome, double PeakRiseMegabytes, double Seconds);

/// <summary>
/// Peak RSS rise of the view page's thumbnails for the hardest references the intake accepts, before (libvips'
/// thumbnail of whatever the stream holds, two at a time: the code before issue 20) and after (header facts judged by
/// <see cref="ImageDecodeBudget"/>, admitted by decode cost, <see cref="ThumbnailMaker.Write(ImageHeader, Stream, Stream)"/>).
/// The test images are written here by libvips (BMP by hand: libvips has no BMP saver or loader, our own reader
/// thumbnails it), smooth gradients so that they stay within 30 MB.
/// </summary>
internal static class ThumbnailMemoryBenchmark
{
    public const string Command = "thumbnail-memory";
    public const string ChildCommand = "measure-thumbnail-memory";
    private const string ResultPrefix = "RESULT ";
    private const int BeforeConcurrency = 2;

    /// <summary>
    /// The inputs, edge × edge unless the name ends with a side (the largest of that kind the budget accepts); GIF two
    /// frames of half the edge.
    /// </summary>
    public static readonly IReadOnlyList<string> Inputs =
    [
        "PNG 16-bit RGBA interlaced", "PNG 16-bit RGBA interlaced 2048", "PNG 16-bit RGBA", "PNG 8-bit RGB 16:1",
        "JPEG CMYK progressive", "JPEG CMYK progressive 2048", "JPEG CMYK baseline", "GIF 2 frames", "GIF 2 frames 1500",
        "TIFF tiled", "TIFF stripped", "WebP lossy", "BMP 24-bit", "BMP 4-bit palette",
    ];

    public static async Task<IReadOnlyList<ThumbnailMemoryMeasurement>> RunAsync(ThumbnailMemoryOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("thumbnail-memory-").FullName;
        try
        {
            var measurements = new List<ThumbnailMemoryMeasurement>();
            foreach (var input in Inputs.Where(i => options.Only is null || i.StartsWith(options.Only, StringComparison.Ordinal)))
            {
                var path = Path.Combine(directory, input.Replace(' ', '-'));
                await File.WriteAllBytesAsync(path, Write(input, options.Edge), cancellationToken).ConfigureAwait(false);
                foreach (var route in new[] { "before", "after" })
                {
                    foreach (var requests in new[] { 1, options.Concurrent })
                    {
                        var text = await ChildProcess.RunHarnessAsync([ChildCommand, "--input", path, "--name", input, "--route", route, "--requests", requests.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
                        var line = text.Split('\n').Single(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
                        var measurement = JsonSerializer.Deserialize<ThumbnailMemoryMeasurement>(line[ResultPrefix.Length..])!;
                        measurements.Add(measurement);
                        await output.WriteLineAsync($"{input} {route} x{requests}: {(measurement.Refused ? "refused" : $"{measurement.PeakRiseMegabytes:0.0} MB, {measurement.Seconds:0.0} s")} {measurement.Outcome}").ConfigureAwait(false);
                    }
                }

                File.Delete(path);
            }

            return measurements;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The test image <paramref name="input"/> at <paramref name="edge"/> pixels a side.</summary>
    public static byte[] Write(string input, int edge)
    {
        if (input.StartsWith("BMP", StringComparison.Ordinal))
        {
            // libvips writes no BMP: by hand, the largest square 24-bit BMP within 30 MB, or a 4-bit one at the edge.
            return input == "BMP 24-bit" ? Bmp(Math.Min(edge, 3100), 24) : Bmp(edge, 4);
        }

        var sized = input.Split(' ')[^1] is var last && int.TryParse(last, System.Globalization.CultureInfo.InvariantCulture, out var fixedSide);
        var side = Math.Min(sized ? fixedSide : edge, input.StartsWith("GIF", StringComparison.Ordinal) ? edge / 2 : edge);
        input = sized ? input[..input.LastIndexOf(' ')] : input;
        // The widest the provider takes: the same pixels at a 16:1 ratio.
        var (width, height) = input.EndsWith("16:1", StringComparison.Ordinal) ? (side * 4, side / 4) : (side, side);
        using var xy = Image.Xyz(width, height);
        using var rgb = (xy[0] * (255.0 / width)).Bandjoin(xy[1] * (255.0 / height), (xy[0] + xy[1]) * (127.0 / (width + height))).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        using var alpha = (xy[1] * (255.0 / height)).Cast(Enums.BandFormat.Uchar);
        switch (input)
        {
            case "PNG 16-bit RGBA interlaced":
            case "PNG 16-bit RGBA":
                using (var rgba16 = (rgb.Bandjoin(alpha).Cast(Enums.BandFormat.Ushort) * 257).Cast(Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Rgb16))
                {
                    return rgba16.PngsaveBuffer(interlace: input.EndsWith("interlaced", StringComparison.Ordinal), compression: 9);
                }

            case "PNG 8-bit RGB 16:1":
                return rgb.PngsaveBuffer(compression: 9);
            case "JPEG CMYK progressive":
            case "JPEG CMYK baseline":
                using (var cmyk = rgb.Bandjoin(alpha).Copy(interpretation: Enums.Interpretation.Cmyk))
                {
                    return cmyk.JpegsaveBuffer(q: 85, interlace: input.EndsWith("progressive", StringComparison.Ordinal));
                }

            case "GIF 2 frames":
                using (var flipped = rgb.Flip(Enums.Direction.Vertical))
                using (var joined = rgb.Join(flipped, Enums.Direction.Vertical))
                using (var frames = joined.Mutate(m => m.Set(GValue.GIntType, "page-height", side)))
                {
                    return frames.GifsaveBuffer(effort: 1);
                }

            case "TIFF tiled":
                return rgb.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate, tile: true, tileWidth: 256, tileHeight: 256);
            case "TIFF stripped":
                return rgb.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate);
            case "WebP lossy":
                return rgb.WebpsaveBuffer(q: 80);
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, null);
        }
    }

    /// <summary>A bottom-up BMP of <paramref name="side"/>²: 24-bit BGR, or 4-bit indices into a 16-grey palette.</summary>
    private static byte[] Bmp(int side, int bits)
    {
        var paletteBytes = bits == 4 ? 16 * 4 : 0;
        var offset = 54 + paletteBytes;
        var stride = (((side * bits) + 31) / 32) * 4;
        var bytes = new byte[offset + ((long)stride * side)];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), offset);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), side);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), side);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), (short)bits);
        for (var i = 0; i < paletteBytes / 4; i++)
        {
            bytes[54 + (i * 4)] = bytes[54 + (i * 4) + 1] = bytes[54 + (i * 4) + 2] = (byte)(i * 17);
        }

        for (var y = 0; y < side; y++)
        {
            var row = bytes.AsSpan(offset + (y * stride), stride);
            for (var x = 0; x < side; x++)
            {
                if (bits == 4)
                {
                    row[x / 2] |= (byte)(((x + y) * 16 / (2 * side)) << (x % 2 == 0 ? 4 : 0));
                }
                else
                {
                    (row[x * 3], row[(x * 3) + 1], row[(x * 3) + 2]) = ((byte)(x * 255 / side), (byte)(y * 255 / side), 128);
                }
            }
        }

        return bytes;
    }

    /// <summary>The child: warm up, read the facts, reset the peak, make the thumbnails, report the peak rise.</summary>
    public static async Task<int> RunChildAsync(BenchmarkArguments arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var input = arguments.RequiredText("input");
        var name = arguments.RequiredText("name");
        var route = arguments.RequiredText("route");
        var requests = arguments.Integer("requests", 1);
        var bytes = await File.ReadAllBytesAsync(input, cancellationToken).ConfigureAwait(false);
        // After: the intake's own judgment of the whole reference, as a data URI or inbox drop would get.
        var refusal = route == "after" ? ReferenceImageRules.Check(bytes, bytes.Length, declaredFormat: null, model: null) : null;
        var image = ImageHeader.Inspect(bytes)!;
        bytes = [];
        using (var warm = new MemoryStream(WarmUpPng()))
        {
            ThumbnailMaker.Write(warm, new MemoryStream());
        }

        if (refusal is not null)
        {
            await output.WriteLineAsync(ResultPrefix + JsonSerializer.Serialize(new ThumbnailMemoryMeasurement(name, route, requests, true, LogText.Cut(refusal, 200), 0, 0))).ConfigureAwait(false);
            return 0;
        }

        ProcessMemory.SettleAndResetPeak();
        var baseline = ProcessMemory.WorkingSet;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => route == "before" ? BeforeAsync(input) : AfterAsync(image, input, cancellationToken))).ConfigureAwait(false);
        stopwatch.Stop();
        var rise = Statistics.Megabytes(ProcessMemory.PeakWorkingSet - baseline);
        var outcome = string.Join("; ", outcomes.Distinct());
        await output.WriteLineAsync(ResultPrefix + JsonSerializer.Serialize(new ThumbnailMemoryMeasurement(name, route, requests, false, outcome, rise, stopwatch.Elapsed.TotalSeconds))).ConfigureAwait(false);
        return 0;
    }

    private static readonly SemaphoreSlim s_before = new(BeforeConcurrency, BeforeConcurrency);
    private static readonly MemoryBudget s_after = new(ImageDecodeBudget.InstanceBytes);

    /// <summary>The code before issue 20: libvips' thumbnail of whatever the stream holds, two at a time.</summary>
    private static async Task<string> BeforeAsync(string input)
    {
        await s_before.WaitAsync().ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                try
                {
                    using var file = File.OpenRead(input);
                    using var thumbnail = Image.ThumbnailStream(file, ThumbnailMaker.MaxEdge, height: ThumbnailMaker.MaxEdge, size: Enums.Size.Down, failOn: Enums.FailOn.Error);
                    using var opaque = thumbnail.HasAlpha() ? thumbnail.Flatten(background: [255, 255, 255]) : null;
                    using var srgb = (opaque ?? thumbnail).Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Bw ? null : (opaque ?? thumbnail).Colourspace(Enums.Interpretation.Srgb);
                    var jpeg = (srgb ?? opaque ?? thumbnail).JpegsaveBuffer(q: ThumbnailMaker.JpegQuality);
                    return $"{thumbnail.Width}x{thumbnail.Height}";
                }
                catch (VipsException e)
                {
                    return "no thumbnail: " + LogText.Cut(e.Message.Trim(), 80);
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            s_before.Release();
        }
    }

    /// <summary>After: admitted by decode cost, made by <see cref="ThumbnailMaker"/> from the judged facts (as <c>ThumbnailStore</c> does).</summary>
    private static async Task<string> AfterAsync(ImageHeader image, string input, CancellationToken cancellationToken)
    {
        using var admission = await s_after.AcquireAsync(ImageDecodeBudget.CostOf(image), cancellationToken).ConfigureAwait(false);
        return await Task.Run(() =>
        {
            try
            {
                using var file = File.OpenRead(input);
                var destination = new MemoryStream();
                ThumbnailMaker.Write(image, file, destination);
                using var thumbnail = Image.NewFromBuffer(destination.ToArray());
                return $"{thumbnail.Width}x{thumbnail.Height}";
            }
            catch (ThumbnailException e)
            {
                return "no thumbnail (422): " + LogText.Cut(e.Message, 80);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] WarmUpPng()
    {
        using var xy = Image.Xyz(64, 48);
        using var rgb = xy[0].Bandjoin(xy[1], xy[0]).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return rgb.PngsaveBuffer();
    }

    public static string Markdown(ThumbnailMemoryOptions options, IReadOnlyList<ThumbnailMemoryMeasurement> measurements, IEnumerable<string> arguments)
    {
        var text = new StringBuilder();
        text.AppendLine($"Peak RSS rise per thumbnail of the hardest references of each kind at {options.Edge}×{options.Edge} (36 Mpx at 6000; a side in the name: the largest of that kind the budget accepts; the 16:1 PNG the same pixels 4× wider; the GIF two frames of half the edge; the 24-bit BMP the largest square within 30 MB, the 4-bit one the edge), alone and {options.Concurrent} requested at once.")
            .AppendLine()
            .AppendLine($"- Machine: {MarkdownReport.Machine()}")
            .AppendLine($"- Command: `{MarkdownReport.Command(arguments)}`")
            .AppendLine("- Each cell is a fresh child process: warm-up thumbnail of a 64×48 PNG, full GC, peak reset (/proc/self/clear_refs), then the thumbnails; rise = VmHWM after minus VmRSS before. One run per cell.")
            .AppendLine($"- Before: libvips `thumbnail_source` of the stream, {BeforeConcurrency} at a time (a count), what the intake accepted by the provider's limits only. After: the intake's rules (`ReferenceImageRules`: provider limits on the largest frame or page, defects, `ImageDecodeBudget`: at most {ImageDecodeBudget.MaxWholeDecodeBytes / (1024 * 1024)} MB decoded whole and {ImageDecodeBudget.MaxThumbnailBytes / (1024 * 1024)} MB in all per image), thumbnails admitted by decode cost within {ImageDecodeBudget.InstanceBytes / (1024 * 1024)} MB, `ThumbnailMaker`.")
            .AppendLine("- \"refused\": the intake answers 400 naming `image` (a failed job for queue and drop), so there is nothing to thumbnail.")
            .AppendLine();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var input in measurements.Select(m => m.Input).Distinct())
        {
            string Cell(string route, int requests) => measurements.FirstOrDefault(m => m.Input == input && m.Route == route && m.Requests == requests) is not { } m ? "–"
                : m.Refused ? "refused" : MarkdownReport.Format(m.PeakRiseMegabytes) + (m.Outcome?.StartsWith("no thumbnail", StringComparison.Ordinal) == true ? " (no thumbnail)" : "");
            var after = measurements.First(m => m.Input == input && m.Route == "after");
            rows.Add([input, Cell("before", 1), Cell("before", options.Concurrent), Cell("after", 1), Cell("after", options.Concurrent), LogText.Cut(after.Outcome ?? "", 140)]);
        }

        text.Append(MarkdownReport.Table(
            ["reference", "before: alone MB", $"before: {options.Concurrent} at once MB", "after: alone MB", $"after: {options.Concurrent} at once MB", "after: outcome"],
            rows));
        return text.ToString();
    }
}
