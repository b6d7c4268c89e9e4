using System.Globalization;
using System.Net;
using System.Text;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;
using Seedream.Functions.Jobs;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Batches;

/// <summary>
/// The batch's HTML page: status, a progress bar, the counts, the results files, and its jobs a page at a time (each
/// with its line, custom_id, status and first image's thumbnail, linking to the job's own page). Refreshes every 3 s
/// until the batch ends.
/// </summary>
public sealed class BatchPage
{
    private readonly BatchStore _batches;
    private readonly PipelineStorage _storage;
    private readonly JobStore _jobs;
    private readonly BatchViewFactory _views;
    private readonly BatchOptions _options;

    public BatchPage(BatchStore batches, PipelineStorage storage, JobStore jobs, BatchViewFactory views, IOptions<BatchOptions> options)
    {
        _batches = batches;
        _storage = storage;
        _jobs = jobs;
        _views = views;
        _options = options.Value;
    }

    /// <param name="generationsUrl">The absolute URL of <c>…/api/generations</c>, for the jobs' pages and thumbnails.</param>
    public async Task<string> RenderAsync(BatchRecord batch, BatchLinks links, string generationsUrl, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(links);
        var view = await _views.CreateAsync(batch, links.Batches, links.KeyQuery, cancellationToken).ConfigureAwait(false);
        var (jobs, next) = await ReadJobsPageAsync(batch.Id, continuationToken, cancellationToken).ConfigureAwait(false);
        var counts = view.RequestCounts;
        var settled = counts.Succeeded + counts.Failed + counts.Cancelled + counts.Expired;
        var percent = counts.Total == 0 ? 0 : settled * 100 / counts.Total;
        var html = new StringBuilder(16 * 1024);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Batch ").Append(Encode(batch.Id)).Append("</title>");
        if (!batch.IsFinished)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"3\">");
        }

        html.Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}")
            .Append("progress{width:30rem;height:1.2rem}.thumb{width:96px;height:96px;object-fit:cover;background:#eee}.status-failed,.status-expired{color:#b00}.status-cancelled{color:#a60}.status-succeeded{color:#070}</style></head><body>");
        html.Append("<h1>Batch <code>").Append(Encode(batch.Id)).Append("</code></h1>");
        html.Append("<p>Status: <strong id=\"status\" class=\"status-").Append(BatchStatusNames.NameOf(batch.Status)).Append("\">").Append(BatchStatusNames.NameOf(batch.Status)).Append("</strong>");
        html.Append(" · <progress id=\"progress\" max=\"100\" value=\"").Append(percent).Append("\"></progress> ").Append(settled).Append(" of ").Append(counts.Total).Append(" lines settled");
        html.Append(view.InputRead ? string.Empty : " (input still being read)").Append("</p>");
        html.Append("<table id=\"counts\"><tr>");
        foreach (var (name, value) in new[] { ("total", counts.Total), ("queued", counts.Queued), ("running", counts.Running), ("succeeded", counts.Succeeded), ("failed", counts.Failed), ("invalid lines", counts.Invalid), ("cancelled", counts.Cancelled), ("expired", counts.Expired) })
        {
            html.Append("<th>").Append(name).Append("</th>");
        }

        html.Append("</tr><tr>");
        foreach (var value in new[] { counts.Total, counts.Queued, counts.Running, counts.Succeeded, counts.Failed, counts.Invalid, counts.Cancelled, counts.Expired })
        {
            html.Append("<td>").Append(value).Append("</td>");
        }

        html.Append("</tr></table><p>");
        AppendFact(html, "Created", Time(batch.CreatedAt));
        AppendFact(html, "Started", Time(batch.StartedAt));
        AppendFact(html, "Finished", Time(batch.FinishedAt));
        AppendFact(html, "Deadline", Time(batch.Deadline));
        AppendFact(html, "Estimated cost", Money(batch.EstimatedCost));
        AppendFact(html, "Cost", Money(batch.Cost));
        html.Append("</p>");
        if (view.OutputFile is { } output)
        {
            html.Append("<p><a id=\"output\" href=\"").Append(Encode(output.Url.AbsoluteUri)).Append("\">Output file</a> (").Append(output.Lines).Append(" lines)");
        }

        if (view.ErrorFile is { } errors)
        {
            html.Append(" · <a id=\"errors\" href=\"").Append(Encode(errors.Url.AbsoluteUri)).Append("\">Error file</a> (").Append(errors.Lines).Append(" lines)</p>");
        }

        html.Append("<h2>Jobs</h2><table id=\"jobs\"><tr><th>line</th><th>custom_id</th><th>status</th><th>image</th></tr>");
        foreach (var job in jobs.OrderBy(j => j.Batch?.Line))
        {
            var jobUrl = $"{generationsUrl}/{job.Id}/view{links.KeyQuery}";
            html.Append("<tr><td>").Append(job.Batch?.Line).Append("</td><td><a href=\"").Append(Encode(jobUrl)).Append("\">").Append(Encode(LogText.Cut(job.Batch?.CustomId, 80))).Append("</a></td>");
            var status = JobStatusNames.NameOf(job.Status);
            html.Append("<td class=\"status-").Append(status).Append("\">").Append(status).Append("</td><td>");
            if (job.Images.OrderBy(i => i.Index).FirstOrDefault() is { } first)
            {
                html.Append("<img class=\"thumb\" loading=\"lazy\" alt=\"\" src=\"").Append(Encode($"{generationsUrl}/{job.Id}/images/{first.Index}/thumbnail{links.KeyQuery}")).Append("\">");
            }

            html.Append("</td></tr>");
        }

        html.Append("</table>");
        if (next is not null)
        {
            var separator = links.KeyQuery.Length == 0 ? "?" : "&";
            html.Append("<p><a id=\"next\" href=\"").Append(Encode($"{links.Batches}/{batch.Id}/view{links.KeyQuery}{separator}continuationToken={Uri.EscapeDataString(next)}")).Append("\">More jobs</a></p>");
        }

        return html.Append("</body></html>").ToString();
    }

    private async Task<(List<GenerationJob> Jobs, string? Next)> ReadJobsPageAsync(string batchId, string? continuationToken, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var page in _storage.Jobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, BatchJobIds.JobPrefix(batchId), cancellationToken)
            .AsPages(continuationToken, _options.ViewPageSize).ConfigureAwait(false))
        {
            var reads = await Task.WhenAll(page.Values.Select(blob => _jobs.GetAsync(blob.Name[..^".json".Length], cancellationToken))).ConfigureAwait(false);
            return ([.. reads.OfType<StoredJob>().Select(s => s.Job)], string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return ([], null);
    }

    private static void AppendFact(StringBuilder html, string name, string? value)
    {
        if (value is not null)
        {
            html.Append(name).Append(": ").Append(Encode(value)).Append(" · ");
        }
    }

    private static string? Time(DateTimeOffset? time) => time?.ToString("u", CultureInfo.InvariantCulture);

    private static string? Money(JobCost? cost) => cost is null ? null : $"{cost.Amount.ToString(CultureInfo.InvariantCulture)} {cost.Currency}";

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
