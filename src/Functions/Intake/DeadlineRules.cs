using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Seedream.Functions.Intake;

/// <summary>
/// The job's deadline: <c>deadline</c> in the body (RFC 3339 with an offset, every entry point) and, over HTTP, the
/// <c>Cancel-After</c> header (a duration as Replicate takes it: <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>1.5h</c>, <c>250ms</c>).
/// </summary>
public static partial class DeadlineRules
{
    public const string Field = "deadline";
    public const string CancelAfterHeader = "Cancel-After";

    private static readonly string[] Rfc3339Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    // [0-9], not \d: \d matches every Unicode digit (٥, ５), which the invariant number parser refuses.
    [GeneratedRegex(@"^(?:([0-9]{1,9}(?:\.[0-9]{1,9})?)(ms|h|m|s))+$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"([0-9]{1,9}(?:\.[0-9]{1,9})?)(ms|h|m|s)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex DurationPart();

    /// <summary>Removes <c>deadline</c> from the body (it is the pipeline's, not Seedream's) and returns the earlier of it and now + Cancel-After.</summary>
    /// <param name="submittedAt">
    /// When the request was handed over, if earlier than now (a queue message's insertion time). A deadline that passed
    /// while the message waited is kept (the job then ends expired, unpaid, with its Expired event); only one already
    /// past when the producer sent it is refused.
    /// </param>
    public static DateTimeOffset? Take(JsonObject root, string? cancelAfter, DateTimeOffset now, TimeSpan maxDeadline, IntakeProblems problems, DateTimeOffset? submittedAt = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(problems);
        DateTimeOffset? deadline = null;
        if (root.TryGetPropertyValue(Field, out var node))
        {
            root.Remove(Field);
            if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                var text = value.GetValue<string>();
                if (!TryParseRfc3339(text, out var parsed))
                {
                    problems.Add(Field, $"deadline must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T12:00:00Z; got '{LogText.Cut(text, 40)}'.");
                }
                else if (Check(parsed, submittedAt is { } sent && sent < now ? sent : now, now, maxDeadline) is { } problem)
                {
                    problems.Add(Field, problem);
                }
                else
                {
                    deadline = parsed;
                }
            }
            else if (node is not null)
            {
                problems.Add(Field, "deadline must be a string (an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z).");
            }
        }

        if (cancelAfter is not null)
        {
            if (!TryParseDuration(cancelAfter, out var duration) || duration <= TimeSpan.Zero)
            {
                problems.Add(CancelAfterHeader, $"Cancel-After must be a positive duration such as 30s, 5m or 1h30m; got '{LogText.Cut(cancelAfter, 40)}'.");
            }
            else if (duration > maxDeadline)
            {
                problems.Add(CancelAfterHeader, $"Cancel-After can be at most {maxDeadline.TotalHours.ToString(CultureInfo.InvariantCulture)} hours.");
            }
            else if (deadline is null || now + duration < deadline)
            {
                deadline = now + duration;
            }
        }

        return deadline;
    }

    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        // 'K' would also take a time without an offset (local time): RFC 3339 requires Z or ±hh:mm.
        if (text.Length < 20 || !(text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':')))
        {
            return false;
        }

        var normalised = text.Replace('t', 'T').Replace('z', 'Z');
        return normalised[10] == 'T'
            && DateTimeOffset.TryParseExact(normalised, Rfc3339Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text.Length is 0 or > 64 || !DurationPattern().IsMatch(text))
        {
            return false;
        }

        double milliseconds = 0;
        foreach (Match part in DurationPart().Matches(text))
        {
            if (!double.TryParse(part.Groups[1].ValueSpan, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            milliseconds += part.Groups[2].Value switch
            {
                "h" => amount * 3_600_000,
                "m" => amount * 60_000,
                "s" => amount * 1000,
                _ => amount,
            };
        }

        // 999999999h is past TimeSpan's range (about 29,000 years): refused here, not an OverflowException (a 500).
        if (milliseconds > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    private static string? Check(DateTimeOffset deadline, DateTimeOffset submittedAt, DateTimeOffset now, TimeSpan maxDeadline) =>
        deadline <= submittedAt ? (submittedAt == now ? $"deadline {deadline:O} is in the past (now {now:O})." : $"deadline {deadline:O} had passed when the request was enqueued ({submittedAt:O}).")
        : deadline - now > maxDeadline ? $"deadline can be at most {maxDeadline.TotalHours.ToString(CultureInfo.InvariantCulture)} hours from now."
        : null;
}
