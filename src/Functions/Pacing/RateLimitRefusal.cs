using Seedream.Functions.Jobs;
using Seedream.Functions.Processing;

namespace Seedream.Functions.Pacing;

/// <summary>What a 429 from Seedream means for the job that got it.</summary>
public enum RefusalKind
{
    /// <summary>Not a refusal of this kind.</summary>
    None,

    /// <summary>A rate or burst limit: nothing was generated or billed; the same call succeeds later.</summary>
    RateLimited,

    /// <summary>The account's quota is used up or the model is paused (<c>QuotaExceeded</c>, <c>SetLimitExceeded</c>): retrying does not help.</summary>
    QuotaOrPaused,
}

/// <summary>Classifies Seedream's 429 answers (contract §6.1).</summary>
public static class RateLimitRefusal
{
    public const string QuotaAdvice =
        "The Seedream account's quota for this model is used up, or its service was paused at a self-set inference limit. "
        + "Raise the limit or wait for the quota to reset in the provider's console, then submit the request again; retrying now does not help.";

    public static RefusalKind Classify(SeedreamException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Status != 429)
        {
            return RefusalKind.None;
        }

        return error.ErrorCode is "QuotaExceeded" or "SetLimitExceeded" ? RefusalKind.QuotaOrPaused : RefusalKind.RateLimited;
    }

    /// <summary>The job's error when rate-limit refusals kept it waiting for <paramref name="maxWait"/>.</summary>
    public static JobError GaveUpWaiting(SeedreamException error, TimeSpan maxWait) => JobOutcomeRules.ErrorFrom(error) with
    {
        Advice = $"Seedream kept refusing this job with {error.ErrorCode ?? "429"} for {maxWait} (Pacing:MaxWait). Check the account's rate limits in the provider's console "
            + "and Pacing:ImagesPerMinute, then submit the request again.",
    };

    /// <summary>The job's error for a quota or paused-model answer, with the provider's advice.</summary>
    public static JobError QuotaError(SeedreamException error) => JobOutcomeRules.ErrorFrom(error) with { Advice = QuotaAdvice };
}
