using System.Runtime;

namespace Seedream.DevHost;

/// <summary>
/// <c>GET /_devhost/memory</c>, mapped only when the setting <c>DevHost:Diagnostics</c> is true: the managed heap as the
/// runtime sees it, so a benchmark running this host as a child process can report GC heap beside the RSS it reads
/// from /proc. Off by default; it is a development aid, never part of the app.
/// </summary>
internal static class DiagnosticsEndpoint
{
    public const string Setting = "DevHost:Diagnostics";

    public static void MapDiagnostics(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(Setting))
        {
            return;
        }

        app.MapGet("/_devhost/memory", () =>
        {
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            return Results.Json(new
            {
                gcHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
                gcCommittedBytes = info.TotalCommittedBytes,
                gcHeapSizeBytes = info.HeapSizeBytes,
                gcFragmentedBytes = info.FragmentedBytes,
                gcCount = GC.CollectionCount(0),
                serverGc = GCSettings.IsServerGC,
                concurrentGc = info.Concurrent,
                workingSetBytes = Environment.WorkingSet,
            });
        });
    }
}
