namespace Seedream.Functions.Pacing;

/// <summary>
/// Who waits first when Seedream's per-model limit is the bottleneck. The caller of the runner says which: the HTTP,
/// queue and drop triggers run <see cref="Interactive"/> work; large backlogs (batches) run <see cref="Bulk"/>, which
/// leaves <see cref="PacingOptions.InteractiveReserve"/> of the budget to interactive submissions.
/// </summary>
public enum GenerationPriority
{
    /// <summary>A caller is waiting: may use the whole budget.</summary>
    Interactive,

    /// <summary>Backlog work: uses the budget only down to the interactive reserve.</summary>
    Bulk,
}
