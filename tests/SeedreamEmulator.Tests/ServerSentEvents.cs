namespace SeedreamEmulator.Tests;

internal sealed record ServerSentEvent(string? Event, string Data);

/// <summary>A strict reader for the framing the contract requires (§5): optional <c>event:</c> line, one <c>data:</c> line, blank line.</summary>
internal static class ServerSentEvents
{
    public static List<ServerSentEvent> Parse(string body)
    {
        Assert.EndsWith("\n\n", body);
        var events = new List<ServerSentEvent>();
        foreach (var block in body[..^2].Split("\n\n"))
        {
            var lines = block.Split('\n');
            Assert.InRange(lines.Length, 1, 2);
            string? name = null;
            if (lines.Length == 2)
            {
                Assert.StartsWith("event: ", lines[0]);
                name = lines[0]["event: ".Length..];
            }

            Assert.StartsWith("data: ", lines[^1]);
            events.Add(new ServerSentEvent(name, lines[^1]["data: ".Length..]));
        }

        return events;
    }
}
