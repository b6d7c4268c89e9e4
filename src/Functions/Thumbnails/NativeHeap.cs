using System.Runtime.InteropServices;

namespace Seedream.Functions.Thumbnails;

/// <summary>
/// Hands memory that libvips freed back to the system. glibc keeps freed blocks in per-thread arenas: thumbnails made
/// one after another on different threads would otherwise each leave their decode buffers resident (six interlaced
/// PNGs admitted two at a time: 229 MB instead of about 90; docs/benchmarks.md).
/// </summary>
internal static class NativeHeap
{
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    public static void Trim()
    {
        if (s_unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true; // not glibc (musl has no malloc_trim)
        }
    }

    // DllImport, not LibraryImport: the source-generated form needs unsafe code enabled for the whole project.
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
