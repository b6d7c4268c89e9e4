using Seedream.Functions.Http;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Jobs;

/// <summary>The job behind an <c>{id}</c> route value, for every function that answers about one job: null when the id is malformed or unknown.</summary>
public sealed class JobLookup
{
    private readonly JobStore _jobs;

    public JobLookup(JobStore jobs) => _jobs = jobs;

    public async Task<StoredJob?> FindAsync(string id, CancellationToken cancellationToken) =>
        id is not null && SubmissionIntake.JobIdPattern().IsMatch(id)
            ? await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>The job, or <see cref="JobNotFoundException"/> (answered 404 by <see cref="HttpFailures"/> on every route).</summary>
    public async Task<StoredJob> GetAsync(string id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(id);
}
