using System.Globalization;

namespace Seedream.Benchmarks;

/// <summary>CPU time (user + system) of a process and all its descendants, from Linux's /proc.</summary>
internal static class ProcessCpu
{
    // /proc reports clock ticks; USER_HZ is 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds used so far by <paramref name="rootId"/> and the processes below it; 0 where /proc is missing.</summary>
    public static double TreeSeconds(int rootId)
    {
        if (!Directory.Exists("/proc"))
        {
            return 0;
        }

        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && Read(id) is { } stat)
            {
                stats[id] = stat;
            }
        }

        long ticks = 0;
        foreach (var (id, stat) in stats)
        {
            for (var current = id; current > 1 && stats.TryGetValue(current, out var node); current = node.Parent)
            {
                if (current == rootId)
                {
                    ticks += stat.Ticks;
                    break;
                }
            }
        }

        return ticks / TicksPerSecond;
    }

    private static (int Parent, long Ticks)? Read(int id)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{id}/stat");
            // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // The process ended while the tree was read.
        }
    }
}
