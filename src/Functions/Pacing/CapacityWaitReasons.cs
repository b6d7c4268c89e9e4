namespace Seedream.Functions.Pacing;

/// <summary>The <see cref="CapacityWait.Reason"/> of a wait the pacer chose; after a refusal it is Seedream's 429 code.</summary>
public static class CapacityWaitReasons
{
    /// <summary>The pacer held the call back to stay within the model's limit.</summary>
    public const string Paced = "Paced";
}
