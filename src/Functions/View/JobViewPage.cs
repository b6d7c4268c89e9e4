using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Seedream.Functions.Jobs;
using Seedream.Functions.Thumbnails;

namespace Seedream.Functions.View;

/// <summary>
/// Renders a <see cref="JobView"/> as one HTML page: inline CSS, no scripts, so it works offline and under a strict
/// content security policy. Every value that comes from a request, Seedream or storage goes through
/// <see cref="Encode"/>. The page stays small whatever the job holds: images appear as their stored 480 px
/// thumbnails (the full image opens on click), inline reference images as thumbnails, and long texts are clipped
/// (a prompt shows its first <see cref="PromptPreviewCharacters"/> characters and expands to at most
/// <see cref="PromptExpandedCharacters"/>; the status API has the rest).
/// </summary>
internal static class JobViewPage
{
    /// <summary>Seconds between reloads while the job is queued or running.</summary>
    public const int RefreshSeconds = 2;

    /// <summary>Characters of the prompt shown before "show all".</summary>
    public const int PromptPreviewCharacters = 600;

    /// <summary>Most characters of the prompt the page carries at all (a 7.5 MB prompt must not make a 15 MB page).</summary>
    public const int PromptExpandedCharacters = 32 * 1024;

    /// <summary>Longest string shown as is elsewhere (metadata values, the request's other fields).</summary>
    public const int ValueCharacters = 2 * 1024;

    // Prompts are often Chinese: keep them readable in the source instead of numeric entities.
    private static readonly HtmlEncoder s_encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly JsonSerializerOptions s_requestJson = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private const string Styles = """
        :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: #fff; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-bottom: 4px; }
        h1 { font-size: 22px; margin: 0; font-weight: 600; }
        h1 code { font-size: 18px; word-break: break-all; }
        h2 { font-size: 17px; margin: 28px 0 10px; font-weight: 600; }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        .status { display: inline-block; padding: 2px 12px; border-radius: 999px; font-weight: 600; font-size: 14px; color: #fff; }
        .note { color: var(--muted); margin: 4px 0 0; font-size: 14px; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 20px 0 0; padding: 16px 20px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; white-space: pre-line; }
        .prompt { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 12px 16px; border-left: 4px solid var(--line); background: var(--panel); font-size: 16px; }
        .images { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 16px; }
        figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--panel); }
        figure a.full { display: block; background: #e8ebef; }
        figure img { display: block; width: 100%; height: 240px; object-fit: contain; }
        .references { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; }
        .references figure img { height: 160px; }
        .clipped { color: var(--muted); font-style: italic; }
        details.more { margin: 8px 0 0; }
        figcaption { padding: 8px 12px; font-size: 13px; color: var(--muted); }
        figcaption strong { color: var(--ink); }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
        th { color: var(--muted); font-weight: 600; }
        table.pairs th { width: 1%; white-space: nowrap; padding-right: 32px; }
        .error { border: 1px solid #ff818266; background: #ffebe9; border-radius: 8px; padding: 12px 16px; }
        .error p { margin: 4px 0; }
        .error ul { margin: 4px 0; padding-left: 20px; }
        .empty { color: var(--muted); }
        details { margin-top: 28px; }
        summary { cursor: pointer; color: var(--muted); }
        pre { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; overflow-x: auto; font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
        a { color: #0969da; }
        """;

    public static string Render(JobView view, JobViewLinks links)
    {
        var html = new StringBuilder(8 * 1024);
        var status = StatusName(view.Status);
        var request = view.Request as JsonObject;
        var running = !JobOutcomes.IsFinal(view.Status);

        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (running)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"").Append(RefreshSeconds).Append("\">\n");
        }

        html.Append("<title>Generation ").Append(Encode(view.Id)).Append(" · ").Append(Encode(Label(status))).Append("</title>\n")
            .Append("<style>\n").Append(Styles).Append(JobOutcomes.StatusStyles).Append("</style>\n</head>\n<body>\n<main>\n");

        html.Append("<header><h1>Generation <code>").Append(Encode(view.Id)).Append("</code></h1>")
            .Append("<span class=\"status status-").Append(status).Append("\">").Append(Encode(Label(status))).Append("</span></header>\n");
        if (running)
        {
            html.Append("<p class=\"note\">").Append(Encode(ProgressNote(view))).Append(" This page refreshes every ")
                .Append(RefreshSeconds).Append(" seconds until the job ends.</p>\n");
        }

        AppendFacts(html, view, request);
        AppendPrompt(html, request, links);
        AppendReferences(html, request, links);
        AppendError(html, view.Error);
        AppendImages(html, view, links);
        AppendFailures(html, view.Failures);
        AppendMetadata(html, view.Metadata);
        AppendWebhook(html, view.Webhook);
        if (view.Request is not null)
        {
            html.Append("<details><summary>Request sent to Seedream</summary><pre>")
                .Append(Encode(ClipStrings(view.Request.DeepClone()).ToJsonString(s_requestJson))).Append("</pre></details>\n");
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendFacts(StringBuilder html, JobView view, JsonObject? request)
    {
        html.Append("<dl class=\"facts\">\n");
        Fact(html, "Model", StringProperty(request, "model") ?? "unknown");
        if (StringProperty(request, "size") is { } size)
        {
            Fact(html, "Size", size);
        }

        if (References(request) is { Count: > 0 } references)
        {
            Fact(html, "Reference images", references.Count.ToString(CultureInfo.InvariantCulture));
        }

        Fact(html, "Created", Timestamp(view.CreatedAt));
        if (view.StartedAt is { } started)
        {
            Fact(html, "Started", Timestamp(started));
        }

        if (view.CompletedAt is { } completed)
        {
            var took = view.StartedAt is { } start ? $" (took {Duration(completed - start)})" : string.Empty;
            Fact(html, "Completed", Timestamp(completed) + took);
        }
        else
        {
            Fact(html, "Updated", Timestamp(view.UpdatedAt));
        }

        Fact(html, "Images", $"{view.Progress.ImagesStored} stored, {view.Progress.ImagesFailed} failed");
        if (view.Usage is { } usage)
        {
            var inputImages = usage.InputImages is int inputs ? $", {Count(inputs, "input image")}" : string.Empty;
            Fact(html, "Usage", $"{Count(usage.GeneratedImages, "generated image")}, {usage.OutputTokens.ToString("N0", CultureInfo.InvariantCulture)} output tokens, {usage.TotalTokens.ToString("N0", CultureInfo.InvariantCulture)} total tokens{inputImages}");
        }

        if (view.Cost is { } cost)
        {
            Fact(html, "Cost", $"{cost.Amount.ToString(CultureInfo.InvariantCulture)} {cost.Currency}{(cost.Estimated ? " (estimated)" : string.Empty)}");
        }

        html.Append("</dl>\n");
    }

    private static void AppendPrompt(StringBuilder html, JsonObject? request, JobViewLinks links)
    {
        html.Append("<h2>Prompt</h2>\n");
        if (StringProperty(request, "prompt") is not { } prompt)
        {
            html.Append("<p class=\"empty\">No prompt.</p>\n");
            return;
        }

        if (prompt.Length <= PromptPreviewCharacters)
        {
            html.Append("<p class=\"prompt\">").Append(Encode(prompt)).Append("</p>\n");
            return;
        }

        // The preview, then the rest behind <details> (no script needed), itself clipped for very long prompts.
        var preview = Clip(prompt, PromptPreviewCharacters);
        var expanded = Clip(prompt, PromptExpandedCharacters);
        html.Append("<p class=\"prompt\">").Append(Encode(preview)).Append("…</p>\n")
            .Append("<details class=\"more\"><summary>Show the whole prompt (")
            .Append(prompt.Length.ToString("N0", CultureInfo.InvariantCulture)).Append(" characters)</summary>\n<p class=\"prompt\">")
            .Append(Encode(expanded));
        if (expanded.Length < prompt.Length)
        {
            html.Append("</p>\n<p class=\"clipped\">The page shows the first ").Append(expanded.Length.ToString("N0", CultureInfo.InvariantCulture))
                .Append(" characters; the whole prompt is <code>request.prompt</code> in the <a href=\"").Append(Encode(links.Status))
                .Append("\">status API</a>.</p>\n</details>\n");
            return;
        }

        html.Append("</p>\n</details>\n");
    }

    /// <summary>
    /// Reference images as thumbnails: those sent inline (<c>data:</c> URIs, elided in the view) through the reference
    /// thumbnail endpoint, URLs straight from where the caller put them (no referrer sent).
    /// </summary>
    private static void AppendReferences(StringBuilder html, JsonObject? request, JobViewLinks links)
    {
        var references = References(request);
        if (references.Count == 0)
        {
            return;
        }

        html.Append("<h2>Reference images</h2>\n<div class=\"references\">\n");
        for (var index = 0; index < references.Count; index++)
        {
            var reference = references[index];
            string? source = reference.StartsWith("data:", StringComparison.Ordinal) ? links.ReferenceThumbnail(index)
                : Uri.TryCreate(reference, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) ? url.AbsoluteUri
                : null;
            var label = reference.StartsWith("data:", StringComparison.Ordinal) ? reference[..Math.Max(reference.IndexOf(',', StringComparison.Ordinal), 0)] + " (inline)" : Clip(reference, 200);
            html.Append("<figure>");
            if (source is not null)
            {
                var target = reference.StartsWith("data:", StringComparison.Ordinal) ? source : reference;
                html.Append("<a class=\"full\" href=\"").Append(Encode(target)).Append("\" rel=\"noreferrer\">")
                    .Append("<img src=\"").Append(Encode(source)).Append("\" alt=\"Reference image ").Append(index)
                    .Append("\" referrerpolicy=\"no-referrer\" loading=\"lazy\"></a>");
            }

            html.Append("\n<figcaption><strong>#").Append(index).Append("</strong> · ").Append(Encode(label)).Append("</figcaption></figure>\n");
        }

        html.Append("</div>\n");
    }

    private static List<string> References(JsonObject? request) => request?["image"] switch
    {
        JsonArray array => array.Select(reference => reference?.ToString() ?? string.Empty).ToList(),
        JsonValue single => [single.ToString()],
        _ => [],
    };

    private static void AppendError(StringBuilder html, JobError? error)
    {
        if (error is null)
        {
            return;
        }

        html.Append("<h2>Error</h2>\n<div class=\"error\">\n<p><strong>").Append(Encode(error.Code)).Append("</strong>");
        if (error.SeedreamStatus is int seedreamStatus)
        {
            html.Append(" (Seedream HTTP ").Append(seedreamStatus).Append(')');
        }

        // Seedream failures end their message with the advice: show it once, on its own line.
        var message = error.Message;
        var advice = error.Advice;
        if (advice is not null && message.Contains(advice, StringComparison.Ordinal))
        {
            message = message.EndsWith(advice, StringComparison.Ordinal) ? message[..^advice.Length].TrimEnd() : message;
            advice = message == error.Message ? null : advice;
        }

        html.Append(": ").Append(Encode(message)).Append("</p>\n");
        if (advice is not null)
        {
            html.Append("<p><strong>What to do:</strong> ").Append(Encode(advice)).Append("</p>\n");
        }

        if (error.Fields is { Count: > 0 } fields)
        {
            html.Append("<ul>\n");
            foreach (var (field, messages) in fields)
            {
                html.Append("<li><code>").Append(Encode(field)).Append("</code>: ").Append(Encode(string.Join(" ", messages))).Append("</li>\n");
            }

            html.Append("</ul>\n");
        }

        if (error.SeedreamRequestId is { } requestId)
        {
            html.Append("<p class=\"note\">Seedream request id <code>").Append(Encode(requestId)).Append("</code></p>\n");
        }

        html.Append("</div>\n");
    }

    private static void AppendImages(StringBuilder html, JobView view, JobViewLinks links)
    {
        html.Append("<h2>Images</h2>\n");
        if (view.Images.Count == 0)
        {
            html.Append("<p class=\"empty\">")
                .Append(!JobOutcomes.IsFinal(view.Status) ? "No image stored yet." : "No image was stored.")
                .Append("</p>\n");
            return;
        }

        html.Append("<div class=\"images\">\n");
        foreach (var image in view.Images)
        {
            html.Append("<figure><a class=\"full\" href=\"").Append(Encode(links.Image(image.Index))).Append("\" title=\"Open full size\">")
                .Append("<img src=\"").Append(Encode(links.Thumbnail(image.Index))).Append("\" alt=\"Image ").Append(image.Index).Append('"');
            if (image.Width is int width && image.Height is int height && width > 0 && height > 0)
            {
                // The thumbnail's own size (the longer side at most ThumbnailMaker.MaxEdge), so the grid does not jump.
                var scale = Math.Min(1.0, (double)ThumbnailMaker.MaxEdge / Math.Max(width, height));
                html.Append(" width=\"").Append(Math.Max(1, (int)Math.Round(width * scale))).Append("\" height=\"").Append(Math.Max(1, (int)Math.Round(height * scale))).Append('"');
            }

            html.Append(" loading=\"lazy\"></a>\n<figcaption><strong>#").Append(image.Index).Append("</strong> · ");
            if (image.Size is { } size)
            {
                html.Append(Encode(size)).Append(" · ");
            }

            html.Append(Encode(FormatName(image.ContentType))).Append(" · ").Append(Encode(Bytes(image.Bytes)))
                .Append(" · <a href=\"").Append(Encode(image.Url.AbsoluteUri)).Append("\" title=\"Signed storage URL, valid until ")
                .Append(Encode(Timestamp(image.UrlExpiresOn))).Append("\">storage link</a></figcaption></figure>\n");
        }

        html.Append("</div>\n");
    }

    private static void AppendFailures(StringBuilder html, IReadOnlyList<ImageFailure> failures)
    {
        if (failures.Count == 0)
        {
            return;
        }

        html.Append("<h2>Failed images</h2>\n<table>\n<thead><tr><th>Index</th><th>Code</th><th>Message</th></tr></thead>\n<tbody>\n");
        foreach (var failure in failures)
        {
            html.Append("<tr><td>").Append(failure.Index).Append("</td><td><code>").Append(Encode(failure.Code))
                .Append("</code></td><td>").Append(Encode(failure.Message)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    /// <summary>The callback and every delivery attempt: when, what the receiver answered, when the next one is due.</summary>
    private static void AppendWebhook(StringBuilder html, WebhookView? webhook)
    {
        if (webhook is null)
        {
            return;
        }

        // The query can carry the receiver's own token; the page names the target without it.
        html.Append("<h2>Callback</h2>\n<p><code>").Append(Encode(webhook.Url.GetLeftPart(UriPartial.Path))).Append("</code> · ")
            .Append(Encode(string.Join(", ", webhook.Events))).Append("</p>\n");
        if (webhook.Notifications.Count == 0)
        {
            html.Append("<p class=\"note\">No notification sent yet.</p>\n");
            return;
        }

        html.Append("<table>\n<thead><tr><th>Notification</th><th>State</th><th>Attempt</th><th>At</th><th>Answer</th><th>Next attempt</th></tr></thead>\n<tbody>\n");
        foreach (var notification in webhook.Notifications)
        {
            foreach (var attempt in notification.Attempts)
            {
                html.Append("<tr><td><code>").Append(Encode(notification.WebhookId)).Append("</code></td><td>")
                    .Append(Encode(JsonNamingPolicy.SnakeCaseLower.ConvertName(notification.State.ToString()))).Append("</td><td>").Append(attempt.Number)
                    .Append("</td><td>").Append(Encode(Timestamp(attempt.At))).Append("</td><td>")
                    .Append(Encode(attempt.Status is int status ? $"HTTP {status}" : ClipNoted(attempt.Error ?? string.Empty))).Append("</td><td>")
                    .Append(attempt.NextAttemptAt is { } next ? Encode(Timestamp(next)) : "–").Append("</td></tr>\n");
            }
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendMetadata(StringBuilder html, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.Count == 0)
        {
            return;
        }

        html.Append("<h2>Metadata</h2>\n<table class=\"pairs\">\n<tbody>\n");
        foreach (var (key, value) in metadata.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            html.Append("<tr><th>").Append(Encode(Clip(key, ValueCharacters))).Append("</th><td>").Append(Encode(ClipNoted(value))).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    /// <summary>The first <paramref name="characters"/> characters, never splitting a surrogate pair.</summary>
    private static string Clip(string value, int characters)
    {
        if (value.Length <= characters)
        {
            return value;
        }

        var end = char.IsHighSurrogate(value[characters - 1]) ? characters - 1 : characters;
        return value[..end];
    }

    private static string ClipNoted(string value) =>
        value.Length <= ValueCharacters ? value : $"{Clip(value, ValueCharacters)}… ({(value.Length - ValueCharacters).ToString("N0", CultureInfo.InvariantCulture)} more characters)";

    /// <summary>Every string in the request longer than <see cref="ValueCharacters"/> clipped (the prompt above all).</summary>
    private static JsonNode ClipStrings(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(property => property.Key).ToList())
                {
                    if (obj[name] is { } child && ClipStrings(child) is var clipped && !ReferenceEquals(clipped, child))
                    {
                        obj[name] = clipped;
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item && ClipStrings(item) is var clipped && !ReferenceEquals(clipped, item))
                    {
                        array[i] = clipped;
                    }
                }

                return array;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > ValueCharacters } text:
                return JsonValue.Create(ClipNoted(text));
            default:
                return node;
        }
    }

    private static void Fact(StringBuilder html, string name, string value) =>
        html.Append("<dt>").Append(Encode(name)).Append("</dt><dd>").Append(Encode(value)).Append("</dd>\n");

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string ProgressNote(JobView view) => view.Status switch
    {
        JobStatus.Queued => "Waiting for a worker.",
        _ when !view.Progress.GenerationAnswered => "Seedream is generating.",
        _ => "Storing images.",
    };

    /// <summary>The status as the JSON API spells it (<c>partially_succeeded</c>); also the CSS class suffix.</summary>
    private static string StatusName(JobStatus status) => JobStatusNames.NameOf(status);

    private static string Label(string statusName) => statusName.Replace('_', ' ');

    private static string? StringProperty(JsonObject? request, string name) =>
        request?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan duration) =>
        duration.TotalSeconds < 60
            ? $"{duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"
            : $"{(int)duration.TotalMinutes} min {duration.Seconds} s";

    private static string FormatName(string contentType) => contentType switch
    {
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        _ => contentType,
    };

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1024 * 1024 => $"{(bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture)} MiB",
        >= 1024 => $"{(bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture)} KiB",
        _ => $"{bytes} B",
    };

    private static string Encode(string value) => s_encoder.Encode(value);
}
