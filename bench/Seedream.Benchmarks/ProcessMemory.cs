using System.Globalization;

namespace Seedream.Benchmarks;

/// <summary>Resident memory as Linux reports it in /proc/&lt;pid&gt;/status (this process unless a process id is given).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakWorkingSet => ReadStatusKilobytes("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long WorkingSet => ReadStatusKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set size (VmHWM) of another process, in bytes.</summary>
    public static long PeakWorkingSetOf(int processId) => ReadStatusKilobytes("VmHWM:", processId) * 1024;

    /// <summary>Current resident set size (VmRSS) of another process, in bytes.</summary>
    public static long WorkingSetOf(int processId) => ReadStatusKilobytes("VmRSS:", processId) * 1024;

    /// <summary>Restarts another process's peak at its current resident size; false where the kernel refuses.</summary>
    public static bool ResetPeakOf(int processId)
    {
        try
        {
            File.WriteAllText($"/proc/{processId}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Collects garbage and restarts the peak at the current resident size (writing 5 to /proc/self/clear_refs), so a
    /// warm-up before the measurement does not leave its own peak behind. Returns false where the kernel refuses.
    /// </summary>
    public static bool SettleAndResetPeak()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long ReadStatusKilobytes(string field, int? processId = null)
    {
        foreach (var line in File.ReadLines(processId is { } id ? $"/proc/{id}/status" : "/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var value = line[field.Length..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{processId?.ToString(CultureInfo.InvariantCulture) ?? "self"}/status has no {field} line.");
    }
}
