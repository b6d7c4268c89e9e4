using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Seedream.Testing;
using Xunit.Abstractions;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// <c>./run.sh drop</c> against a running local stack, as a newcomer uses it: an image with a prompt, the provider's
/// text-to-image request as a JSON drop (CloudEvents schema) and a text file, each followed to its job's outcome in the
/// tool's output and exit code, the status API, the marks on the dropped blob and the events at the receiver.
/// </summary>
public sealed partial class DropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(60);

    /// <summary>A drop, the blob it becomes, the event schema it is delivered in and how the tool documents its end (exit 0, or 1 when the job failed).</summary>
    private sealed record Drop(string BlobName, string[] Arguments, string Schema, int ExitCode, string Status, string EventType, string? ErrorCode);

    [Fact]
    public async Task Image_json_and_unsupported_drops_end_as_their_jobs_in_tool_output_status_api_blob_marks_and_events()
    {
        var clock = Stopwatch.StartNew();
        using var budget = new CancellationTokenSource(s_budget);
        var cancellationToken = budget.Token;
        await using var stack = LocalStack.Start();
        var runs = new List<ScriptRun>();
        try
        {
            await stack.WaitUntilReadyAsync(s_budget).WaitAsync(cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            var files = Directory.CreateDirectory(Path.Combine(stack.WorkDirectory, "drops")).FullName;
            var photo = Path.Combine(files, "photo.png");
            await File.WriteAllBytesAsync(photo, await http.GetByteArrayAsync(ReferenceImageUrl(stack, "drop-photo", 64, 48), cancellationToken), cancellationToken);
            var notes = Path.Combine(files, "notes.txt");
            await File.WriteAllTextAsync(notes, "A shopping list is not an image.\n", cancellationToken);
            var example = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"));

            Drop[] drops =
            [
                new("photo.png", [photo, "--prompt", "a watercolor version of this test card"], "Event Grid", 0, "succeeded", "Seedream.ImageSeries.Completed", null),
                new("text-to-image.json", [example, "--cloudevents"], "CloudEvents", 0, "succeeded", "Seedream.ImageSeries.Completed", null),
                new("notes.txt", [notes], "Event Grid", 1, "failed", "Seedream.ImageSeries.Failed", "UnsupportedDropType"),
            ];
            runs.AddRange(await Task.WhenAll(drops.Select(drop => stack.DropAsync(drop.Arguments, cancellationToken))));

            var inbox = stack.CreateBlobServiceClient().GetBlobContainerClient("inbox");
            var jobIds = new List<string>();
            foreach (var (drop, run) in drops.Zip(runs))
            {
                var jobId = AssertToolReportedOutcome(drop, run);
                jobIds.Add(jobId);

                var job = JsonDocument.Parse(await http.GetStringAsync(new Uri(stack.ApiBaseUrl, $"generations/{jobId}"), cancellationToken)).RootElement;
                Assert.True(job.GetProperty("status").GetString() == drop.Status, $"{drop.BlobName}: {job}");
                var source = job.GetProperty("sourceBlob");
                Assert.Equal("inbox", source.GetProperty("container").GetString());
                Assert.Equal(drop.BlobName, source.GetProperty("name").GetString());
                if (drop.ErrorCode is null)
                {
                    Assert.Single(job.GetProperty("images").EnumerateArray());
                }
                else
                {
                    Assert.Equal(drop.ErrorCode, job.GetProperty("error").GetProperty("code").GetString());
                }

                var marks = (await inbox.GetBlobClient(drop.BlobName).GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
                Assert.Equal(jobId, marks["seedream_job_id"]);
                Assert.Equal(drop.Status, marks["seedream_status"]);
                if (drop.ErrorCode is not null)
                {
                    Assert.Equal(drop.ErrorCode, marks["seedream_error_code"]);
                }
            }

            // The image drop's own metadata stays beside the marks.
            var photoMarks = (await inbox.GetBlobClient("photo.png").GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
            Assert.Equal("a watercolor version of this test card", photoMarks["prompt"]);

            await AssertOneEventPerJobAsync(http, stack.EventsUrl, [.. drops.Zip(jobIds, (drop, id) => (id, drop.EventType))], cancellationToken);
            Assert.True(clock.Elapsed < s_budget, $"the run took {clock.Elapsed}");
        }
        finally
        {
            output.WriteLine($"Elapsed {clock.Elapsed}.\n{string.Join('\n', runs)}\n{stack.Output}");
        }
    }

    /// <summary>The job id the tool announced, after checking its exit code and the outcome line it printed last.</summary>
    private static string AssertToolReportedOutcome(Drop drop, ScriptRun run)
    {
        Assert.True(run.ExitCode == drop.ExitCode, $"{drop.BlobName}: {run}");
        Assert.Contains($"/inbox/{drop.BlobName}; BlobCreated event ", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"({drop.Schema} schema)", run.StandardOutput, StringComparison.Ordinal);
        var announced = Assert.Single(AnnouncedJob().Matches(run.StandardOutput));
        var jobId = announced.Groups["id"].Value;
        Assert.StartsWith("d-", jobId, StringComparison.Ordinal);

        var outcome = Assert.Single(Outcome().Matches(run.StandardOutput));
        Assert.Equal(jobId, outcome.Groups["id"].Value);
        Assert.Equal(drop.Status, outcome.Groups["status"].Value);
        if (drop.ErrorCode is not null)
        {
            Assert.StartsWith($": {drop.ErrorCode} ", outcome.Groups["detail"].Value, StringComparison.Ordinal);
        }

        return jobId;
    }

    /// <summary>The terminal event is published just after the blob is marked, so it may trail the tool's exit: wait for all, then count.</summary>
    private static async Task AssertOneEventPerJobAsync(HttpClient http, Uri eventsUrl, IReadOnlyList<(string Id, string Type)> jobs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var events = JsonDocument.Parse(await http.GetStringAsync(eventsUrl, cancellationToken)).RootElement.EnumerateArray()
                .Select(e => (Type: e.GetProperty("type").GetString(), Subject: e.GetProperty("subject").GetString()))
                .ToList();
            if (jobs.All(job => events.Exists(e => e.Subject == $"generations/{job.Id}")))
            {
                foreach (var (id, type) in jobs)
                {
                    var jobEvent = Assert.Single(events, e => e.Subject == $"generations/{id}");
                    Assert.Equal(type, jobEvent.Type);
                }

                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>A small real PNG from the stack's Seedream emulator (docs/architecture.md §2).</summary>
    private static Uri ReferenceImageUrl(LocalStack stack, string name, int width, int height) => new(string.Create(
        CultureInfo.InvariantCulture, $"http://127.0.0.1:{stack.Ports["SEEDREAM_EMULATOR_PORT"]}/references/{name}.png?w={width}&h={height}"));

    [GeneratedRegex(@"^job (?<id>\S+): status at /api/generations/\k<id>$", RegexOptions.Multiline)]
    private static partial Regex AnnouncedJob();

    [GeneratedRegex(@"^job (?<id>[^\s:]+) (?<status>succeeded|partially_succeeded|failed)(?<detail>.*)$", RegexOptions.Multiline)]
    private static partial Regex Outcome();
}
