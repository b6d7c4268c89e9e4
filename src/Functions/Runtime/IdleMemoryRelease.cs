using System.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Seedream.Functions.Runtime;

/// <summary>
/// Gives memory back once a burst of work is over. A garbage collection happens only when the app allocates, and an
/// idle app allocates almost nothing (a queue poll every few seconds): after a load its heap keeps the garbage and the
/// free space the load left, and pooled upload blocks stay rented out to nobody, so the instance's resident memory
/// stays at its peak (issue 15: +57 MB after one 15 × 4K job, +981 MB after a malformed-input run, never coming down).
/// Every <see cref="CheckInterval"/> this checks whether the app has gone quiet after allocating at least
/// <see cref="MinimumLoadBytes"/> or while pools keep buffers; then it drops the pools' retained buffers and runs one aggressive, compacting full
/// collection, which returns freed memory to the operating system. It does nothing while the app is busy; when a release
/// still leaves more than <see cref="FollowUpLiveBytes"/> live it repeats at the next quiet intervals, at most
/// <see cref="MaxFollowUps"/> times.
/// </summary>
internal sealed partial class IdleMemoryRelease : BackgroundService
{
    /// <summary>How often quiet is checked, unless the setting <see cref="CheckIntervalSetting"/> says otherwise (tests).</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    public const string CheckIntervalSetting = "Runtime:IdleMemoryCheckInterval";

    /// <summary>Allocations since the last release that make a release worth it without pooled buffers to drop.</summary>
    public const long MinimumLoadBytes = 32L * 1024 * 1024;

    /// <summary>Allocating less than this in one interval counts as quiet (idle queue polling allocates well under it).</summary>
    public const long QuietBytesPerInterval = 4L * 1024 * 1024;

    /// <summary>
    /// Live heap left by a release above which the next quiet interval releases again. Streaming work allocates so little
    /// that its last seconds can look quiet: a release then still finds the last uploads' blocks live.
    /// </summary>
    public const long FollowUpLiveBytes = 16L * 1024 * 1024;

    /// <summary>Follow-up releases after one load, at most (a minute at the default interval).</summary>
    public const int MaxFollowUps = 6;

    private static readonly List<WeakReference<ReleasableBufferPool>> s_pools = [];

    private readonly ILogger<IdleMemoryRelease> _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;

    // Configuration is optional: service collections built without one (tests) get the default interval.
    public IdleMemoryRelease(ILogger<IdleMemoryRelease> logger, TimeProvider time, IConfiguration? configuration = null)
    {
        _logger = logger;
        _time = time;
        _interval = configuration?.GetValue(CheckIntervalSetting, CheckInterval) ?? CheckInterval;
        if (_interval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{CheckIntervalSetting} must be a positive duration, was {_interval}.");
        }
    }

    public static void Register(ReleasableBufferPool pool)
    {
        lock (s_pools)
        {
            s_pools.RemoveAll(reference => !reference.TryGetTarget(out _));
            s_pools.Add(new WeakReference<ReleasableBufferPool>(pool));
        }
    }

    /// <summary>Drops the pools' retained buffers and compacts the heap, returning the freed memory to the OS.</summary>
    public static void ReleaseNow()
    {
        lock (s_pools)
        {
            foreach (var reference in s_pools)
            {
                if (reference.TryGetTarget(out var pool))
                {
                    pool.Release();
                }
            }
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private static bool PoolsRetainBuffers()
    {
        lock (s_pools)
        {
            return s_pools.Exists(reference => reference.TryGetTarget(out var pool) && pool.RetainedCount > 0);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var releasedAt = GC.GetTotalAllocatedBytes();
        var previous = releasedAt;
        var followUps = 0;
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var allocated = GC.GetTotalAllocatedBytes();
                var quiet = allocated - previous < QuietBytesPerInterval;
                previous = allocated;
                var load = allocated - releasedAt >= MinimumLoadBytes || PoolsRetainBuffers();
                if (!quiet || (!load && followUps == 0))
                {
                    continue;
                }

                var before = Environment.WorkingSet;
                ReleaseNow();
                var live = GC.GetTotalMemory(forceFullCollection: false);
                followUps = load ? MaxFollowUps : followUps - 1;
                if (live < FollowUpLiveBytes)
                {
                    followUps = 0;
                }

                releasedAt = GC.GetTotalAllocatedBytes();
                previous = releasedAt;
                LogReleased(before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024), live / (1024 * 1024));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Idle after load: released pooled buffers and compacted the heap; working set {BeforeMb} MB -> {AfterMb} MB, {HeapMb} MB live on the heap")]
    private partial void LogReleased(long beforeMb, long afterMb, long heapMb);
}
