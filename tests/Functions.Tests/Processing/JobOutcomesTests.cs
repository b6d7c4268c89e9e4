using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;
using Seedream.Functions.Listing;
using Seedream.Functions.Processing;
using Seedream.Functions.View;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Processing;

/// <summary>
/// The outcome table (<see cref="JobOutcomes"/>) is the one list of job statuses: every status has one row, and the
/// contract documents (openapi.json, docs/events.schema.json), the job's terminal event, the drop marks and the views
/// agree with it, status by status.
/// </summary>
public sealed class JobOutcomesTests
{
    public static TheoryData<JobStatus> Statuses() => [.. Enum.GetValues<JobStatus>().Where(s => s != JobStatus.Unknown)];

    public static TheoryData<JobStatus> FinalStatuses() => [.. JobOutcomes.All.Where(o => o.IsFinal).Select(o => o.Status)];

    [Fact]
    public void Every_status_has_exactly_one_row_and_openapi_lists_exactly_those()
    {
        Assert.Equal(Enum.GetValues<JobStatus>().Where(s => s != JobStatus.Unknown), JobOutcomes.All.Select(o => o.Status));
        var openApi = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Functions", "OpenApi", "openapi.json")))!;
        var documented = openApi["components"]!["schemas"]!["JobStatus"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>());
        // The API answers a status written by a newer version as `unknown`, so the document lists it last.
        Assert.Equal(JobOutcomes.All.Append(JobOutcomes.Unknown).Select(o => o.Name), documented);
        // The name in the table is the one the record and the API write.
        foreach (var outcome in JobOutcomes.All)
        {
            Assert.Equal($"\"{outcome.Name}\"", JsonSerializer.Serialize(outcome.Status, JobJson.Options));
            Assert.Equal(outcome.Name, JobStatusNames.NameOf(outcome.Status));
            Assert.True(JobStatusNames.TryParse(outcome.Name, out var parsed) && parsed == outcome.Status);
        }

        Assert.False(JobStatusNames.TryParse("unknown", out _));
    }

    [Fact]
    public void The_event_schema_knows_exactly_the_final_statuses_and_their_event_types()
    {
        var schema = JsonNode.Parse(File.ReadAllText(EventsSchemaPath))!;
        var statuses = schema["$defs"]!["ImageSeriesData"]!["properties"]!["status"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(JobOutcomes.All.Where(o => o.IsFinal).Select(o => o.Name), statuses);

        var types = schema["$defs"]!.AsObject()
            .Select(def => def.Value?["allOf"]?.AsArray().Select(part => part?["properties"]?["type"]?["const"]?.GetValue<string>()).FirstOrDefault(t => t is not null))
            .OfType<string>()
            .Where(t => t.StartsWith("Seedream.ImageSeries.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        Assert.Equal(JobOutcomes.All.Select(o => o.EventType).OfType<string>().Distinct().Order(StringComparer.Ordinal), types);
    }

    [Theory]
    [MemberData(nameof(FinalStatuses))]
    public void A_job_ending_so_publishes_its_row_s_event_which_the_schema_accepts(JobStatus status)
    {
        var outcome = JobOutcomes.Of(status);
        var job = JobFactory.Create("job-" + outcome.Name, "http", null, null, null, TraceParent);
        JobFactory.End(job, status, status == JobStatus.Failed ? new JobError("Boom", "It failed.") : null, DateTimeOffset.UtcNow, claim: null);

        Assert.True(job.IsTerminal);
        Assert.Equal(outcome.EventType, job.TerminalEvent!.Type);
        Assert.Equal($"{job.Id}.{outcome.EventIdSuffix}", job.TerminalEvent.Id);
        Assert.Equal(outcome.EventType, JobOutcomeRules.TerminalEventType(status));

        // The event as published, with or without an image: one of them is what the schema describes for this status.
        var schema = JsonSchema.FromText(File.ReadAllText(EventsSchemaPath), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        bool Valid(JsonObject cloudEvent) => schema.Evaluate(JsonDocument.Parse(cloudEvent.ToJsonString()).RootElement).IsValid;
        var image = new JsonObject { ["index"] = 0, ["blobUrl"] = "https://x.blob.core.windows.net/images/a/0.png", ["contentType"] = "image/png", ["bytes"] = 10 };
        var variants = new[] { new JsonArray(), new JsonArray(image) }.Select(images => Event(job, outcome.Name, images, outcome.EventType!)).ToList();
        Assert.Contains(variants, Valid);
        // Another row's type for this status is refused.
        foreach (var other in JobOutcomes.All.Where(o => o.IsFinal && o.EventType != outcome.EventType))
        {
            Assert.DoesNotContain(variants.Select(v => Retyped(v, other.EventType!)), Valid);
        }
    }

    [Theory]
    [MemberData(nameof(Statuses))]
    public void Final_failure_drop_mark_and_colour_follow_the_row(JobStatus status)
    {
        var outcome = JobOutcomes.Of(status);
        Assert.Equal(outcome.IsFinal, GenerationJob.IsTerminalStatus(status));
        Assert.Equal(outcome.IsFinal, JobSummary.IsFinal(status));
        if (!outcome.IsFinal)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => JobOutcomeRules.TerminalEventType(status));
        }

        var job = JobFactory.Create("job-marks", "drop", null, null, null, TraceParent);
        job.Status = status;
        job.Error = new JobError("Boom", "It went wrong.");
        var marks = DropMarks.For(job);
        Assert.Equal(outcome.Name, marks[InboxStore.StatusKey]);
        Assert.Equal(outcome.DropMarksError ? "Boom" : null, marks[InboxStore.ErrorCodeKey]);

        // Both views colour the badge with the row's colour, and refresh only while the job can change.
        var item = new JobListItem("job-marks", status, DateTimeOffset.UtcNow, "m", 0, null, "https://p/api/generations/job-marks", "https://p/api/generations/job-marks/view");
        var page = RecentJobsPage.Render([item], null, "https://p/api/generations", string.Empty);
        Assert.Contains($"class=\"status status-{outcome.Name}\"", page, StringComparison.Ordinal);
        Assert.Contains($".status-{outcome.Name} {{ background: {outcome.Colour}; }}", page, StringComparison.Ordinal);
        Assert.Equal(!outcome.IsFinal, page.Contains("http-equiv=\"refresh\"", StringComparison.Ordinal));
    }

    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static string EventsSchemaPath => Path.Combine(RepositoryPaths.Root, "docs", "events.schema.json");

    private static JsonObject Event(GenerationJob job, string status, JsonArray images, string type) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = job.TerminalEvent!.Id,
        ["source"] = "/seedream/pipeline",
        ["type"] = type,
        ["subject"] = $"generations/{job.Id}",
        ["time"] = "2026-12-06T10:00:00Z",
        ["datacontenttype"] = "application/json",
        ["data"] = new JsonObject
        {
            ["jobId"] = job.Id,
            ["status"] = status,
            ["images"] = images,
            ["failures"] = new JsonArray(),
            ["metadata"] = new JsonObject(),
            ["error"] = new JsonObject { ["code"] = "Boom", ["message"] = "It failed." },
        },
    };

    private static JsonObject Retyped(JsonObject cloudEvent, string type)
    {
        var copy = cloudEvent.DeepClone().AsObject();
        copy["type"] = type;
        return copy;
    }
}
