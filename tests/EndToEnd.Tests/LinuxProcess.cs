using System.Globalization;

namespace Seedream.EndToEnd.Tests;

/// <summary>A process as /proc/{pid}/stat describes it; the start time tells it apart from a later process reusing the pid.</summary>
public sealed record LinuxProcess(int Id, int ParentId, char State, ulong StartTime, string CommandLine)
{
    /// <summary>True while this very process (same pid and start time) exists and is not a zombie.</summary>
    public bool IsAlive => Read(Id) is { } now && now.StartTime == StartTime && now.State != 'Z';

    public static IReadOnlyList<LinuxProcess> DescendantsOf(int rootId, bool includeRoot)
    {
        var all = Directory.EnumerateDirectories("/proc")
            .Select(directory => int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? Read(id) : null)
            .OfType<LinuxProcess>()
            .ToList();
        var children = all.ToLookup(process => process.ParentId);
        var result = new List<LinuxProcess>();
        var pending = new Queue<int>([rootId]);
        if (includeRoot && all.Find(process => process.Id == rootId) is { } root)
        {
            result.Add(root);
        }

        while (pending.TryDequeue(out var parent))
        {
            foreach (var child in children[parent])
            {
                result.Add(child);
                pending.Enqueue(child.Id);
            }
        }

        return result;
    }

    private static LinuxProcess? Read(int id)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            // "pid (comm) state ppid pgrp ... starttime(22nd)": comm may hold spaces and parentheses, so split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var commandLine = File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' ').TrimEnd();
            return new LinuxProcess(
                id,
                int.Parse(fields[1], CultureInfo.InvariantCulture),
                fields[0][0],
                ulong.Parse(fields[19], CultureInfo.InvariantCulture),
                commandLine);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
