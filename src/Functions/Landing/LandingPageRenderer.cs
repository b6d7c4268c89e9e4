using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Seedream.Functions.Jobs;
using Seedream.Functions.View;

namespace Seedream.Functions.Landing;

/// <summary>The landing page as one self-contained HTML document (inline CSS, no scripts), every value encoded.</summary>
internal static class LandingPageRenderer
{
    private static readonly HtmlEncoder s_encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private const string Styles = """
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1f2328; }
        main { max-width: 960px; margin: 0 auto; padding: 24px 20px 48px; }
        h1 { font-size: 22px; margin: 0 0 12px; font-weight: 600; }
        h2 { font-size: 17px; margin: 28px 0 10px; font-weight: 600; }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        ul.links li { margin: 4px 0; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #d1d9e0; overflow-wrap: anywhere; }
        th { color: #59636e; font-weight: 600; }
        .empty { color: #59636e; }
        """;

    public static string Render(LandingIndex index)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Encode(index.Title)).Append("</title>\n<style>\n").Append(Styles).Append("</style>\n</head>\n<body>\n<main>\n");
        html.Append("<h1>").Append(Encode(index.Title)).Append("</h1>\n");
        html.Append("<p>Submit a Seedream request with <code>POST ").Append(Encode(WithoutQuery(index.Generations))).Append("</code>; every route, body and error is described in the OpenAPI document.</p>\n");
        html.Append("<ul class=\"links\">\n");
        Link(html, index.OpenApi, "OpenAPI document", "openapi.json");
        Link(html, index.Models, "Models", "the Seedream models this app can call");
        Link(html, index.Generations, "Generations", "all jobs, newest first, paged (JSON)");
        Link(html, index.RecentJobsPage, "Recent jobs", "the same list as a page, with thumbnails");
        html.Append("</ul>\n<h2>Recent jobs</h2>\n");
        if (index.RecentJobs.Count == 0)
        {
            html.Append("<p class=\"empty\">No jobs yet.</p>\n");
        }
        else
        {
            html.Append("<table>\n<thead><tr><th>job</th><th>status</th><th>created (UTC)</th><th>model</th><th>images</th><th>cost</th></tr></thead>\n<tbody>\n");
            foreach (var job in index.RecentJobs)
            {
                html.Append("<tr><td><a href=\"").Append(Encode(job.ViewUrl)).Append("\"><code>").Append(Encode(job.Id)).Append("</code></a></td>");
                html.Append("<td>").Append(Encode(JobStatusNames.NameOf(job.Status))).Append("</td>");
                html.Append("<td>").Append(Encode(job.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</td>");
                html.Append("<td>").Append(Encode(job.Model ?? "")).Append("</td>");
                html.Append("<td>").Append(job.ImageCount.ToString(CultureInfo.InvariantCulture)).Append("</td>");
                html.Append("<td>").Append(job.Cost is { } cost ? Encode($"{cost.Amount.ToString(CultureInfo.InvariantCulture)} {cost.Currency}{(cost.Estimated ? " (estimated)" : "")}") : "").Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Link(StringBuilder html, string url, string label, string note) =>
        html.Append("<li><a href=\"").Append(Encode(url)).Append("\">").Append(Encode(label)).Append("</a> — ").Append(Encode(note)).Append("</li>\n");

    private static string Encode(string value) => s_encoder.Encode(value);

    /// <summary>The link without its query (the function key); the link may be root-relative, so no <see cref="Uri"/>.</summary>
    private static string WithoutQuery(string url) => url.IndexOf('?', StringComparison.Ordinal) is var query and >= 0 ? url[..query] : url;
}
