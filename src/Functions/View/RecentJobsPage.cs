using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Seedream.Functions.Jobs;
using Seedream.Functions.Listing;

namespace Seedream.Functions.View;

/// <summary>
/// The listing (<c>GET /api/generations</c>) as a page: one row per job, newest first, with its first image's
/// thumbnail and a link to its view page; "Older jobs" follows the continuation token. Refreshes while a listed job is
/// queued or running. No scripts; every value is encoded.
/// </summary>
internal static class RecentJobsPage
{
    public const int RefreshSeconds = 5;

    private static readonly HtmlEncoder s_encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private const string Styles = """
        :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); }
        main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
        h1 { font-size: 22px; margin: 0 0 16px; font-weight: 600; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { text-align: left; vertical-align: middle; padding: 6px 10px; border-bottom: 1px solid var(--line); }
        th { color: var(--muted); font-weight: 600; }
        td.thumb { width: 96px; }
        td.thumb img { display: block; width: 96px; height: 96px; object-fit: contain; background: var(--panel); border-radius: 4px; }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
        .status { display: inline-block; padding: 1px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; color: #fff; background: #6e7781; }
        .empty, .note { color: var(--muted); }
        a { color: #0969da; }
        """;

    public static string Render(IReadOnlyList<JobListItem> jobs, string? olderPageLink, string listingLink, string thumbnailQuery)
    {
        var html = new StringBuilder(4 * 1024);
        var live = jobs.Any(job => !JobSummary.IsFinal(job.Status));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (live)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"").Append(RefreshSeconds).Append("\">\n");
        }

        html.Append("<title>Recent generations</title>\n<style>\n").Append(Styles).Append(JobOutcomes.StatusStyles).Append("</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>Recent generations</h1>\n");
        if (jobs.Count == 0)
        {
            html.Append("<p class=\"empty\">No generation jobs yet.</p>\n");
        }
        else
        {
            html.Append("<table>\n<thead><tr><th></th><th>Job</th><th>Status</th><th>Created</th><th>Model</th><th>Images</th><th>Cost</th></tr></thead>\n<tbody>\n");
            foreach (var job in jobs)
            {
                var status = JobStatusNames.NameOf(job.Status);
                var view = Encode(job.ViewUrl);
                html.Append("<tr><td class=\"thumb\">");
                if (job.ImageCount > 0)
                {
                    // The first image's stored thumbnail, beside the job's own view page.
                    var thumbnail = job.ViewUrl[..job.ViewUrl.LastIndexOf("/view", StringComparison.Ordinal)] + "/images/0/thumbnail" + thumbnailQuery;
                    html.Append("<a href=\"").Append(view).Append("\"><img src=\"").Append(Encode(thumbnail))
                        .Append("\" alt=\"First image of ").Append(Encode(job.Id)).Append("\" loading=\"lazy\"></a>");
                }

                html.Append("</td><td><a href=\"").Append(view).Append("\"><code>").Append(Encode(job.Id)).Append("</code></a></td>")
                    .Append("<td><span class=\"status status-").Append(status).Append("\">").Append(Encode(status.Replace('_', ' '))).Append("</span></td>")
                    .Append("<td>").Append(job.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append("</td>")
                    .Append("<td>").Append(Encode(job.Model ?? "unknown")).Append("</td>")
                    .Append("<td>").Append(job.ImageCount).Append("</td>")
                    .Append("<td>").Append(job.Cost is { } cost ? Encode($"{cost.Amount.ToString(CultureInfo.InvariantCulture)} {cost.Currency}") : string.Empty).Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        html.Append("<p class=\"note\">");
        if (olderPageLink is not null)
        {
            html.Append("<a href=\"").Append(Encode(olderPageLink)).Append("\">Older jobs</a> · ");
        }

        html.Append("The same as JSON: <a href=\"").Append(Encode(listingLink)).Append("\">the listing</a>.");
        if (live)
        {
            html.Append(" This page refreshes every ").Append(RefreshSeconds).Append(" seconds while a job runs.");
        }

        html.Append("</p>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string value) => s_encoder.Encode(value);
}
