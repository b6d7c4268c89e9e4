using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Listing;

/// <summary>Reads the listing's query string: every parameter at fault is named, none is guessed.</summary>
public sealed partial class ListingRequestParser
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 100;

    public ListingRequest Parse(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);

        var statuses = new List<JobStatus>();
        if (query.TryGetValue("status", out var statusValues))
        {
            var unknown = new List<string>();
            foreach (var name in statusValues.SelectMany(value => (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries)))
            {
                if (JobStatusNames.TryParse(name, out var status))
                {
                    statuses.Add(status);
                }
                else
                {
                    unknown.Add(name);
                }
            }

            if (unknown.Count > 0 || statuses.Count == 0)
            {
                errors["status"] = [$"'{string.Join(",", unknown)}' is not a status; use one or more (comma-separated) of {string.Join(", ", JobStatusNames.All)}."];
            }
        }

        DateTimeOffset? createdAfter = null;
        if (Single(query, "createdAfter", errors) is { } createdText)
        {
            // RFC 3339: a date, 'T', a time and an offset ('Z' or ±hh:mm); a local time would be ambiguous.
            if (Rfc3339().IsMatch(createdText) && DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            {
                createdAfter = instant;
            }
            else
            {
                errors["createdAfter"] = [$"'{createdText}' is not an RFC 3339 date-time with an offset, such as 2026-11-29T08:00:00Z."];
            }
        }

        var pageSize = DefaultPageSize;
        if (Single(query, "pageSize", errors) is { } sizeText)
        {
            if (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize)
            {
                errors["pageSize"] = [$"'{sizeText}' is not a whole number from 1 to {MaxPageSize}."];
            }
        }

        string? afterRowKey = null;
        if (Single(query, "continuationToken", errors) is { } token && !JobListContinuation.TryDecode(token, out afterRowKey))
        {
            errors["continuationToken"] = ["The token is not one this listing returned; start again without it."];
        }

        return errors.Count > 0
            ? new ListingRequest(null, errors)
            : new ListingRequest(new JobListQuery(statuses, createdAfter, pageSize, afterRowKey), null);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            errors[name] = ["Give this parameter once."];
            return null;
        }

        return values[0];
    }
}

/// <summary>The parsed query, or the fields at fault.</summary>
public sealed record ListingRequest(JobListQuery? Query, IReadOnlyDictionary<string, string[]>? Errors);
