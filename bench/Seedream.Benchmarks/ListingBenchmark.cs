using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions;
using Seedream.Functions.Jobs;
using Seedream.Functions.Listing;
using Seedream.Functions.Storage;
using Seedream.Testing;

namespace Seedream.Benchmarks;

internal sealed record ListingOptions(int Jobs, int PageSize, int Repetitions, int ActiveJobs);

/// <summary>Latencies of one listing query, in milliseconds.</summary>
internal sealed record ListingCase(string Name, string Description, double P50, double P95, int Items);

internal sealed record ListingResult(int Jobs, double SeedSeconds, IReadOnlyList<ListingCase> Cases);

/// <summary>
/// <c>GET /api/generations</c> with many jobs stored in Azurite: the first page, a deep page (by continuation token),
/// status and createdAfter filters, through the app's <see cref="JobLister"/> (index table + record checks), against
/// the alternative without an index: listing the job record blobs and reading the newest page of records.
/// </summary>
internal static class ListingBenchmark
{
    public const string Command = "listing";

    private static readonly string[] s_finalStatuses = ["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "partially_succeeded"];

    public static async Task<ListingResult> RunAsync(ListingOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Seedream:BaseUrls:0"] = "http://127.0.0.1:9/v1",
            ["Seedream:ApiKey"] = "unused",
            ["EventGrid:TopicEndpoint"] = "http://127.0.0.1:9/api/events",
            ["EventGrid:TopicKey"] = "unused",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSeedreamPipeline(configuration).BuildServiceProvider();
        await using (services.ConfigureAwait(false))
        {
            var seed = Stopwatch.StartNew();
            var newest = await SeedAsync(services, azurite, options, log, cancellationToken).ConfigureAwait(false);
            seed.Stop();
            await log.WriteLineAsync($"listing: {options.Jobs} jobs stored in {seed.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);

            var lister = services.GetRequiredService<JobLister>();
            var deepToken = await TokenAtAsync(lister, (int)(options.Jobs * 0.9), cancellationToken).ConfigureAwait(false);
            var cases = new List<ListingCase>
            {
                await MeasureAsync("first page", $"newest {options.PageSize} ({options.ActiveJobs} of {options.Jobs} jobs queued or running, checked against their records)",
                    () => lister.ListAsync(new JobListQuery([], null, options.PageSize, null), cancellationToken), options.Repetitions, log).ConfigureAwait(false),
                await MeasureAsync("deep page", $"{options.PageSize} jobs after the first {(int)(options.Jobs * 0.9)} (continuation token)",
                    () => lister.ListAsync(new JobListQuery([], null, options.PageSize, deepToken), cancellationToken), options.Repetitions, log).ConfigureAwait(false),
                await MeasureAsync("status=failed", "first page of failed jobs (10 % of all)",
                    () => lister.ListAsync(new JobListQuery([JobStatus.Failed], null, options.PageSize, null), cancellationToken), options.Repetitions, log).ConfigureAwait(false),
                await MeasureAsync("status=partially_succeeded, createdAfter", "first page of partially succeeded jobs of the newest 10 %",
                    () => lister.ListAsync(new JobListQuery([JobStatus.PartiallySucceeded], newest.AddTicks(-(newest - Oldest(options)).Ticks / 10), options.PageSize, null), cancellationToken), options.Repetitions, log).ConfigureAwait(false),
                await MeasureBlobScanAsync(services.GetRequiredService<PipelineStorage>().Jobs, options, log, cancellationToken).ConfigureAwait(false),
            };
            return new ListingResult(options.Jobs, seed.Elapsed.TotalSeconds, cases);
        }
    }

    public static string Markdown(ListingOptions options, ListingResult result, IReadOnlyList<string> args)
    {
        var ours = result.Cases[0];
        var scan = result.Cases[^1];
        var rows = result.Cases.Select(c => (IReadOnlyList<string>)
        [
            c.Name, c.Description, c.Items.ToString(CultureInfo.InvariantCulture), MarkdownReport.Format(c.P50, "0.00"), MarkdownReport.Format(c.P95, "0.00"),
            MarkdownReport.Format(c.P50 / ours.P50, "0.00") + "×",
        ]);
        return $"""
            ### Job listing with {result.Jobs:N0} jobs stored

            `{MarkdownReport.Command(args)}` on {MarkdownReport.Machine()}. Azurite in memory, {options.Repetitions} requests per row
            after 5 warm-up requests; seeding {result.Jobs:N0} job records and index rows took {result.SeedSeconds:0.0} s. The last row is
            the alternative without an index: list every record blob, take the newest page by name, read those records.

            {MarkdownReport.Table(["query", "what", "items", "p50 ms", "p95 ms", "p50 ÷ first page"], rows)}
            First page through the index against the blob scan: {MarkdownReport.Format(scan.P50 / ours.P50, "0.0")}× faster at p50.
            """;
    }

    private static DateTimeOffset Oldest(ListingOptions options) => DateTimeOffset.UtcNow.AddDays(-30);

    /// <summary>Job records (blobs, as JobStore writes them) and index rows (as JobIndex writes them after a record write), newest last.</summary>
    private static async Task<DateTimeOffset> SeedAsync(IServiceProvider services, AzuriteInstance azurite, ListingOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var storage = services.GetRequiredService<PipelineStorage>();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobListingOptions>>().Value.JobIndexTable);
        await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);

        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var step = TimeSpan.FromDays(30) / options.Jobs;
        var jobs = Enumerable.Range(0, options.Jobs).Select(i =>
        {
            var active = i >= options.Jobs - options.ActiveJobs;
            var status = active ? (i % 2 == 0 ? "queued" : "running") : s_finalStatuses[i % s_finalStatuses.Length];
            JobStatusNames.TryParse(status, out var parsed);
            var images = parsed is JobStatus.Succeeded ? 4 : parsed is JobStatus.PartiallySucceeded ? 2 : 0;
            var job = new GenerationJob
            {
                Id = $"bench{i.ToString("D6", CultureInfo.InvariantCulture)}",
                Source = "http",
                Status = parsed,
                CreatedAt = start + step * i,
                UpdatedAt = start + step * i,
                Request = new ImageGenerationRequest { Model = "doubao-seedream-5-0-260128", Prompt = "a benchmark job", Size = "2K" },
                Images = [.. Enumerable.Range(0, images).Select(index => new StoredImage(index, $"bench/{index}.png", new Uri($"https://x/{index}"), "image/png", 2048, 2048, 4_000_000))],
                Cost = images > 0 ? new JobCost(0.22m * images, "USD", false) : null,
            };
            return (Job: job, Confirmed: !active);
        }).ToList();

        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (entry, ct) =>
            await storage.Jobs.GetBlobClient($"{entry.Job.Id}.json").UploadAsync(BinaryData.FromObjectAsJson(entry.Job, JobJson.Options), ct).ConfigureAwait(false)).ConfigureAwait(false);
        await log.WriteLineAsync($"listing: {jobs.Count} records written").ConfigureAwait(false);

        // Rows go in entity-group transactions of 100 (one partition), one at a time: Azurite loses rows of concurrent batches.
        foreach (var chunk in jobs.Chunk(100))
        {
            await table.SubmitTransactionAsync(
                chunk.Select(entry => new TableTransactionAction(TableTransactionActionType.UpsertReplace, JobIndexEntry.From(JobSummary.From(entry.Job), entry.Confirmed))), cancellationToken).ConfigureAwait(false);
        }

        var rows = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows++;
        }

        if (rows != jobs.Count)
        {
            throw new InvalidOperationException($"The index holds {rows} rows after seeding {jobs.Count} jobs.");
        }

        return jobs[^1].Job.CreatedAt;
    }

    /// <summary>The row key that continues after the first <paramref name="position"/> jobs, found by paging as a client would.</summary>
    private static async Task<string> TokenAtAsync(JobLister lister, int position, CancellationToken cancellationToken)
    {
        string? token = null;
        for (var seen = 0; seen < position;)
        {
            var size = Math.Min(ListingRequestParser.MaxPageSize, position - seen);
            var page = await lister.ListAsync(new JobListQuery([], null, size, token), cancellationToken).ConfigureAwait(false);
            seen += page.Items.Count;
            if (!JobListContinuation.TryDecode(page.ContinuationToken, out token))
            {
                throw new InvalidOperationException($"The listing ended after {seen} jobs, before {position}.");
            }
        }

        // The lister continues after a row key, which is what the API's continuation token carries.
        return token!;
    }

    private static async Task<ListingCase> MeasureAsync(string name, string description, Func<Task<JobListPage>> list, int repetitions, TextWriter log)
    {
        JobListPage page = null!;
        for (var i = 0; i < 5; i++)
        {
            page = await list().ConfigureAwait(false);
        }

        var times = new List<double>(repetitions);
        for (var i = 0; i < repetitions; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            page = await list().ConfigureAwait(false);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        var result = new ListingCase(name, description, Statistics.Percentile(times, 50), Statistics.Percentile(times, 95), page.Items.Count);
        await log.WriteLineAsync($"listing: {name}: p50 {result.P50:0.00} ms, p95 {result.P95:0.00} ms, {result.Items} items").ConfigureAwait(false);
        return result;
    }

    /// <summary>The alternative: no index, so every record blob name is listed and the newest page of records is read.</summary>
    private static Task<ListingCase> MeasureBlobScanAsync(BlobContainerClient jobs, ListingOptions options, TextWriter log, CancellationToken cancellationToken) =>
        MeasureAsync("blob scan (alternative)", $"list all {options.Jobs} record blobs, read the newest {options.PageSize}", async () =>
        {
            var names = new List<string>(options.Jobs);
            await foreach (var blob in jobs.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                names.Add(blob.Name);
            }

            var newest = names.OrderDescending(StringComparer.Ordinal).Take(options.PageSize);
            var records = await Task.WhenAll(newest.Select(async name =>
                (await jobs.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToObjectFromJson<GenerationJob>(JobJson.Options)!)).ConfigureAwait(false);
            return new JobListPage([.. records.Select(JobSummary.From)], null);
        }, Math.Max(5, options.Repetitions / 10), log);
}
