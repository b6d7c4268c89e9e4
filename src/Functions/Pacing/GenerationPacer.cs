namespace Seedream.Functions.Pacing;

/// <summary>How a paced call went, reported back to the pacer that granted it.</summary>
public enum PacingOutcome
{
    /// <summary>Seedream answered (whatever the images): the budget was used.</summary>
    Answered,

    /// <summary>Seedream refused the call with a rate limit: the pacer slows down.</summary>
    RateLimited,

    /// <summary>The call was not made (the job was taken by another delivery, or it failed before sending).</summary>
    NotSent,
}

/// <summary>Permission for one Seedream call of a number of images; report how it went exactly once.</summary>
public abstract class PacingGrant
{
    public abstract ValueTask CompleteAsync(PacingOutcome outcome);
}

/// <summary>The pacer's answer: a grant to call now, or how long the job should wait outside the worker first.</summary>
public sealed record PacingDecision(PacingGrant? Grant, TimeSpan Wait)
{
    public static PacingDecision Now(PacingGrant grant) => new(grant, TimeSpan.Zero);

    public static PacingDecision Later(TimeSpan wait) => new(null, wait);
}

/// <summary>Decides when a job's Seedream call may go out, so that all instances together stay within the model's limit.</summary>
public abstract class GenerationPacer
{
    /// <summary>Permission for <paramref name="job"/>'s call of <paramref name="images"/> images of <paramref name="model"/>, or its wait.</summary>
    public abstract ValueTask<PacingDecision> AcquireAsync(string model, string job, int images, GenerationPriority priority, CancellationToken cancellationToken);
}

/// <summary>No pacing: every call goes now (<see cref="PacingMode.Off"/> and <see cref="PacingMode.Deferral"/>).</summary>
public sealed class UnpacedPacer : GenerationPacer
{
    private static readonly PacingDecision Granted = PacingDecision.Now(new NoGrant());

    public override ValueTask<PacingDecision> AcquireAsync(string model, string job, int images, GenerationPriority priority, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Granted);

    private sealed class NoGrant : PacingGrant
    {
        public override ValueTask CompleteAsync(PacingOutcome outcome) => ValueTask.CompletedTask;
    }
}
