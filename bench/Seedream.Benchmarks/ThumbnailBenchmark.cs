using System.Diagnostics;
using System.Text;
using System.Text.Json;
using NetVips;
using Seedream.Functions;
using Seedream.Functions.Thumbnails;
using SkiaSharp;

namespace Seedream.Benchmarks;

internal sealed record ThumbnailOptions(int Edge, int Runs);

/// <summary>One thumbnail made in a fresh process: what it cost over the process's warmed-up baseline.</summary>
internal sealed record ThumbnailMeasurement(string Library, string Format, long InputBytes, double BaselineMegabytes, double PeakMegabytes, double Seconds, long OutputBytes, int Width, int Height, bool PeakReset);

/// <summary>
/// The view page's thumbnails: libvips (NetVips, what src/Functions uses: <see cref="ThumbnailMaker"/>) against
/// SkiaSharp 4 (decode at the codec's nearest scale, resize, encode), on a 4K PNG and a 4K JPEG read from a stream that
/// cannot seek, as a blob download is. Each run is a fresh child process, so native memory counts too.
/// </summary>
internal static class ThumbnailBenchmark
{
    public const string Command = "thumbnails";
    public const string ChildCommand = "measure-thumbnail";
    private const string ResultPrefix = "RESULT ";

    private static readonly string[] s_libraries = ["netvips", "skiasharp"];
    private static readonly string[] s_formats = ["png", "jpeg"];

    public static async Task<IReadOnlyList<ThumbnailMeasurement>> RunAsync(ThumbnailOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("thumbnail-bench-").FullName;
        try
        {
            var inputs = s_formats.ToDictionary(format => format, format => CreateInput(directory, format, options.Edge));
            var measurements = new List<ThumbnailMeasurement>();
            for (var run = 0; run < options.Runs; run++)
            {
                foreach (var format in s_formats)
                {
                    // Alternate which library goes first, so neither always meets a cold page cache.
                    foreach (var library in run % 2 == 0 ? s_libraries : s_libraries.Reverse())
                    {
                        var text = await ChildProcess.RunHarnessAsync([ChildCommand, "--library", library, "--input", inputs[format]], cancellationToken).ConfigureAwait(false);
                        var line = text.Split('\n').Single(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
                        var measurement = JsonSerializer.Deserialize<ThumbnailMeasurement>(line[ResultPrefix.Length..])!;
                        measurements.Add(measurement);
                        await output.WriteLineAsync($"run {run + 1} {format} {library}: peak {measurement.PeakMegabytes:0.0} MB, {measurement.Seconds:0.000} s").ConfigureAwait(false);
                    }
                }
            }

            return measurements;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A photo-like test image: colour gradients under noise, so that neither format compresses it to nothing.</summary>
    private static string CreateInput(string directory, string format, int edge)
    {
        var path = Path.Combine(directory, $"input-{edge}.{(format == "png" ? "png" : "jpg")}");
        using var xy = Image.Xyz(edge, edge);
        using var red = xy[0] * (255.0 / edge);
        using var green = xy[1] * (255.0 / edge);
        using var noise = Image.Gaussnoise(edge, edge, sigma: 24, mean: 128);
        using var rgb = red.Bandjoin(green, noise).Cast(Enums.BandFormat.Uchar);
        using var srgb = rgb.Copy(interpretation: Enums.Interpretation.Srgb);
        if (format == "png")
        {
            srgb.Pngsave(path);
        }
        else
        {
            srgb.Jpegsave(path, q: 90);
        }

        return path;
    }

    /// <summary>The child: warm up on a small image of the same format, reset the peak, make one thumbnail, report.</summary>
    public static async Task<int> RunChildAsync(BenchmarkArguments arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var library = arguments.RequiredText("library");
        var input = arguments.RequiredText("input");
        Action<Stream, Stream> make = library switch
        {
            "netvips" => ThumbnailMaker.Write,
            "skiasharp" => SkiaThumbnail,
            _ => throw new ArgumentException($"Unknown library '{library}' (netvips, skiasharp)."),
        };

        var format = input.EndsWith(".png", StringComparison.Ordinal) ? "png" : "jpeg";
        using (var small = new MemoryStream(SmallImage(format)))
        {
            make(new ForwardOnlyStream(small), new MemoryStream());
        }

        var peakReset = ProcessMemory.SettleAndResetPeak();
        var baseline = ProcessMemory.WorkingSet;
        var thumbnail = new MemoryStream();
        var stopwatch = Stopwatch.StartNew();
        await using (var file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024))
        {
            make(new ForwardOnlyStream(file), thumbnail);
        }

        stopwatch.Stop();
        var peak = ProcessMemory.PeakWorkingSet;
        using var written = Image.NewFromBuffer(thumbnail.ToArray());
        var measurement = new ThumbnailMeasurement(library, format, new FileInfo(input).Length, Statistics.Megabytes(baseline), Statistics.Megabytes(peak - baseline),
            stopwatch.Elapsed.TotalSeconds, thumbnail.Length, written.Width, written.Height, peakReset);
        await output.WriteLineAsync(ResultPrefix + JsonSerializer.Serialize(measurement)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// SkiaSharp's best plain route: the codec decodes at its nearest supported scale (JPEG: 1/8 at best; PNG: full
    /// size), then the bitmap is resized to the thumbnail and encoded. A stream that cannot seek is buffered by Skia.
    /// </summary>
    private static void SkiaThumbnail(Stream source, Stream destination)
    {
        using var codec = SKCodec.Create(source) ?? throw new InvalidOperationException("SkiaSharp cannot decode the image.");
        var scale = Math.Min(1f, (float)ThumbnailMaker.MaxEdge / Math.Max(codec.Info.Width, codec.Info.Height));
        var decodeSize = codec.GetScaledDimensions(scale);
        var decodeInfo = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            throw new InvalidOperationException($"SkiaSharp decoding failed: {result}.");
        }

        var width = Math.Max(1, (int)Math.Round(codec.Info.Width * scale));
        var height = Math.Max(1, (int)Math.Round(codec.Info.Height * scale));
        using var resized = decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidOperationException("SkiaSharp resizing failed.");
        using var image = SKImage.FromBitmap(resized);
        using var jpeg = image.Encode(SKEncodedImageFormat.Jpeg, ThumbnailMaker.JpegQuality);
        jpeg.SaveTo(destination);
    }

    private static byte[] SmallImage(string format)
    {
        using var xy = Image.Xyz(64, 48);
        using var rgb = xy[0].Bandjoin(xy[1], xy[0]).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return format == "png" ? rgb.PngsaveBuffer() : rgb.JpegsaveBuffer();
    }

    public static string Markdown(ThumbnailOptions options, IReadOnlyList<ThumbnailMeasurement> measurements, IEnumerable<string> arguments)
    {
        var text = new StringBuilder();
        text.AppendLine($"A {options.Edge}×{options.Edge} test image (colour gradients under noise) thumbnailed to at most {ThumbnailMaker.MaxEdge} px, JPEG quality {ThumbnailMaker.JpegQuality}, read from a stream that cannot seek (as a blob download is).")
            .AppendLine()
            .AppendLine($"- Machine: {MarkdownReport.Machine()}")
            .AppendLine($"- Command: `{MarkdownReport.Command(arguments)}`")
            .AppendLine($"- Runs: {options.Runs} per cell, each in a fresh child process, the library going first alternating; figures are medians.")
            .AppendLine("- Peak = the child's VmHWM after the thumbnail minus its VmRSS just before (after a warm-up thumbnail of a 64×48 image of the same format, a full GC and a peak reset via /proc/self/clear_refs). It counts native memory, which the GC does not see.")
            .AppendLine("- NetVips: `ThumbnailMaker` of src/Functions (`thumbnail_source`: shrink-on-load for JPEG, sequential PNG read, operation cache off). SkiaSharp: `SKCodec` at its nearest scale (JPEG 1/8 at best, PNG full size), `SKBitmap.Resize` (Mitchell), `SKImage.Encode`.")
            .AppendLine();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var format in measurements.Select(m => m.Format).Distinct())
        {
            var vips = measurements.Where(m => m.Format == format && m.Library == "netvips").ToList();
            var skia = measurements.Where(m => m.Format == format && m.Library == "skiasharp").ToList();
            var vipsPeak = Statistics.Median(vips.Select(m => m.PeakMegabytes));
            var skiaPeak = Statistics.Median(skia.Select(m => m.PeakMegabytes));
            var vipsTime = Statistics.Median(vips.Select(m => m.Seconds));
            var skiaTime = Statistics.Median(skia.Select(m => m.Seconds));
            rows.Add([
                format.ToUpperInvariant(),
                vips[0].InputBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                MarkdownReport.Format(vipsPeak), MarkdownReport.Format(vipsTime, "0.000"),
                MarkdownReport.Format(skiaPeak), MarkdownReport.Format(skiaTime, "0.000"),
                MarkdownReport.Format(skiaPeak / Math.Max(vipsPeak, 1)) + "×", MarkdownReport.Format(skiaTime / vipsTime, "0.00") + "×",
                $"{vips[0].Width}×{vips[0].Height}, {Statistics.Median(vips.Select(m => (double)m.OutputBytes)):N0} B",
            ]);
        }

        text.Append(MarkdownReport.Table(
            ["input", "input bytes", "NetVips peak MB", "NetVips s", "SkiaSharp peak MB", "SkiaSharp s", "peak Skia÷NetVips (NetVips ≥ 1 MB)", "time Skia÷NetVips", "thumbnail (NetVips)"],
            rows));
        return text.ToString();
    }

    /// <summary>A read-only view of a stream that hides its ability to seek, as an HTTP download body does.</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
