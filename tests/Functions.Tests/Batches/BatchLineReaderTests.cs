using System.Text;
using Seedream.Functions.Batches;

namespace Seedream.Functions.Tests.Batches;

/// <summary>The line reader over a stream: numbers, offsets and lengths that let a fan-out resume at any line.</summary>
public sealed class BatchLineReaderTests
{
    [Fact]
    public async Task Lines_keep_their_numbers_and_offsets_across_crlf_blank_overlong_and_unterminated_lines()
    {
        var overlong = new string('x', 300_000);
        var text = "{\"a\":1}\r\n\n" + overlong + "\n{\"b\":2}\n{\"c\":3}";
        var bytes = Encoding.UTF8.GetBytes(text);

        var lines = await ReadAsync(bytes, 0, 1, maxLineBytes: 100_000);

        Assert.Equal([1, 2, 3, 4, 5], lines.Select(l => l.Number));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(lines[0].Content!));
        Assert.Empty(lines[1].Content!);
        Assert.Null(lines[2].Content);
        Assert.Equal(overlong.Length + 1, lines[2].Length);
        Assert.Equal("{\"c\":3}", Encoding.UTF8.GetString(lines[4].Content!));
        Assert.Equal(bytes.Length, lines[^1].End);

        // Resuming at a line's offset reads the same lines from there on.
        var resumed = await ReadAsync(bytes[(int)lines[3].Offset..], lines[3].Offset, 4, maxLineBytes: 100_000);
        Assert.Equal(lines.Skip(3).Select(l => (l.Number, l.Offset, l.Length)), resumed.Select(l => (l.Number, l.Offset, l.Length)));
    }

    [Fact]
    public async Task An_overlong_last_line_without_a_line_break_is_reported_without_content()
    {
        var lines = await ReadAsync(Encoding.UTF8.GetBytes("{}\n" + new string('y', 200_000)), 0, 1, maxLineBytes: 1000);

        Assert.Equal(2, lines.Count);
        Assert.Null(lines[1].Content);
        Assert.Equal(200_000, lines[1].Length);
    }

    private static async Task<List<BatchInputLine>> ReadAsync(byte[] bytes, long offset, int firstLine, int maxLineBytes)
    {
        var lines = new List<BatchInputLine>();
        await foreach (var line in BatchLineReader.ReadAsync(new MemoryStream(bytes), offset, firstLine, maxLineBytes, CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }
}
