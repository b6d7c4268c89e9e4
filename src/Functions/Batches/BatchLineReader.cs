using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Seedream.Functions.Batches;

/// <summary>One line of a batch input: its 1-based number, where it starts, its bytes (null when over the limit) and its length with the line break.</summary>
public sealed record BatchInputLine(int Number, long Offset, byte[]? Content, long Length)
{
    public long End => Offset + Length;
}

/// <summary>
/// Reads JSONL as lines from a stream without holding more than one line (and the pipe's segments): a line longer than
/// the limit is skipped to its line break and reported without content. <c>\r\n</c> and a missing last line break are
/// fine; the empty text after the last line break is not a line.
/// </summary>
public static class BatchLineReader
{
    private const int SegmentBytes = 64 * 1024;

    public static async IAsyncEnumerable<BatchInputLine> ReadAsync(Stream stream, long offset, int firstLine, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: SegmentBytes, minimumReadSize: SegmentBytes / 4, leaveOpen: true));
        var number = firstLine;
        long overlong = -1;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    var text = buffer.Slice(0, newline);
                    var length = text.Length + 1;
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                    var line = overlong >= 0 ? new BatchInputLine(number, offset, null, overlong + length) : Line(number, offset, text, length, maxLineBytes);
                    overlong = -1;
                    offset += line.Length;
                    number++;
                    yield return line;
                }

                if (buffer.Length > maxLineBytes || overlong >= 0)
                {
                    // Too long to be a line we would take: drop what was read so far and remember how much.
                    overlong = Math.Max(overlong, 0) + buffer.Length;
                    buffer = buffer.Slice(buffer.End);
                }

                if (result.IsCompleted)
                {
                    if (overlong > 0)
                    {
                        yield return new BatchInputLine(number, offset, null, overlong);
                    }
                    else if (buffer.Length > 0)
                    {
                        yield return Line(number, offset, buffer, buffer.Length, maxLineBytes);
                    }

                    yield break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static BatchInputLine Line(int number, long offset, ReadOnlySequence<byte> text, long length, int maxLineBytes)
    {
        if (text.Length > 0 && text.Slice(text.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            text = text.Slice(0, text.Length - 1);
        }

        return text.Length > maxLineBytes ? new BatchInputLine(number, offset, null, length) : new BatchInputLine(number, offset, text.ToArray(), length);
    }
}
