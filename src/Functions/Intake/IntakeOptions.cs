using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Intake;

/// <summary>Rules of the intake shared by HTTP, queue and drops; configuration section "Intake".</summary>
public sealed class IntakeOptions
{
    public const string SectionName = "Intake";

    /// <summary>Deepest nesting of objects and arrays in a body; Seedream requests need 3.</summary>
    [Range(4, 64)]
    public int MaxDepth { get; set; } = 16;

    /// <summary>Longest model id; real ids are under 64 characters.</summary>
    [Range(16, 1024)]
    public int MaxModelLength { get; set; } = 128;

    /// <summary>
    /// Local runs only: reference URLs on loopback (http or https), such as the emulator's reference images, are allowed.
    /// Private, link-local and unique-local hosts stay refused.
    /// </summary>
    public bool AllowLoopbackReferences { get; set; }

    /// <summary>Read the first bytes of each https reference to check its signature and pixel size before accepting.</summary>
    public bool ProbeReferenceUrls { get; set; } = true;

    /// <summary>How long one reference probe may take, headers and first bytes together.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ReferenceProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>References probed at once for one submission.</summary>
    [Range(1, 16)]
    public int ReferenceProbeConcurrency { get; set; } = 4;

    /// <summary>Latest accepted <c>deadline</c> / <c>Cancel-After</c>, from now.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan MaxDeadline { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the poison queues are drained (<see cref="PoisonQueueDrain"/>; no function triggers on them).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PoisonSweepInterval { get; set; } = TimeSpan.FromSeconds(10);
}
