using System.Globalization;

namespace Seedream.Benchmarks;

/// <summary>This process's resident memory as Linux reports it in /proc/self/status.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakWorkingSet => ReadStatusKilobytes("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long WorkingSet => ReadStatusKilobytes("VmRSS:") * 1024;

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

    private static long ReadStatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var value = line[field.Length..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {field} line.");
    }
}
