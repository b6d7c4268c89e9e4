using System.Buffers.Binary;
using Seedream.Samples;
using SeedreamEmulator;

namespace Seedream.Package.Tests;

/// <summary>samples/Seedream.Sample against the emulator: files written, the group printed image by image as it streams.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task Sample_writes_the_text_to_image_result_and_prints_each_streamed_image_as_it_arrives()
    {
        var delay = TimeSpan.FromMilliseconds(400);
        await using var emulator = await SeedreamEmulatorServer.StartAsync(options => options.ImageDelay = delay);
        var output = Directory.CreateTempSubdirectory("seedream-sample-");
        var log = new StringWriter();
        try
        {
            var exitCode = await SeedreamSample.RunAsync(emulator.GatewayBaseUrl, emulator.ApiKey, output.FullName, log);

            Assert.True(exitCode == 0, log.ToString());
            var single = await File.ReadAllBytesAsync(Path.Combine(output.FullName, "text-to-image-0.png"));
            Assert.Equal((2048, 2048), PngSize(single));
            var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var group = lines.Where(line => line.StartsWith("group: image ", StringComparison.Ordinal)).ToList();
            Assert.Equal(4, group.Count);
            Assert.Contains("group: headers after", log.ToString());
            Assert.Contains("(streaming: True)", log.ToString());
            for (var index = 0; index < 4; index++)
            {
                Assert.StartsWith($"group: image {index} 2048x2048 at ", group[index]);
                Assert.True(File.Exists(Path.Combine(output.FullName, $"group-{index}.jpeg")));
            }

            // Streamed: each image is printed when its own event arrives, about one ImageDelay apart.
            var seconds = group.Select(line => double.Parse(line.Split(" at ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(seconds[3] - seconds[0] >= 2.5 * delay.TotalSeconds, string.Join(" | ", group));
            Assert.Contains("group: 4 image(s) billed", log.ToString());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static (int Width, int Height) PngSize(byte[] png) =>
        (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
}
