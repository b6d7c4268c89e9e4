using System.Text.Json;
using Json.Schema;
using Seedream.Functions.Events;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>docs/events.schema.json describes the CloudEvents the pipeline really publishes (as they arrive at the topic).</summary>
[Collection(PipelineCollection.Name)]
public sealed class EventsSchemaTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Completed_failed_and_image_stored_events_match_the_schema_and_a_wrong_one_does_not()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["EventGrid:PublishImageStoredEvents"] = "true" });
        var schema = Schema();

        var completed = await harness.SubmitAndRunAsync(TestRequests.Create("events schema", maxImages: 2, configure: r => r["metadata"] = new System.Text.Json.Nodes.JsonObject { ["k"] = "v" }));
        await harness.EnqueueRawAsync($$"""{"id":"events-invalid-{{Guid.NewGuid():N}}","model":"doubao-seedream-4-0-250828","prompt":"x","size":"1K","watermark":"no"}""");
        await harness.RunQueuesAsync();

        var events = fixture.EventGrid.Events.Where(e => e.Subject == $"generations/{completed.GetProperty("id").GetString()}"
            || (e.Subject ?? string.Empty).StartsWith("generations/events-invalid-", StringComparison.Ordinal)).ToList();
        var types = events.Select(e => e.Type).ToHashSet();
        Assert.Contains(JobEventPublisher.CompletedType, types);
        Assert.Contains(JobEventPublisher.FailedType, types);
        Assert.Contains(JobEventPublisher.ImageStoredType, types);
        foreach (var cloudEvent in events)
        {
            var json = JsonSerializer.SerializeToElement(cloudEvent);
            var result = schema.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.True(result.IsValid, $"{cloudEvent.Type} does not match docs/events.schema.json:\n{json}");
        }

        // The schema can fail: a Completed event without images, or with a status the schema does not know.
        var first = JsonSerializer.SerializeToElement(events.First(e => e.Type == JobEventPublisher.CompletedType)).GetRawText();
        Assert.False(schema.Evaluate(JsonDocument.Parse(first.Replace("\"succeeded\"", "\"done\"", StringComparison.Ordinal)).RootElement).IsValid);
        Assert.False(schema.Evaluate(JsonDocument.Parse(first.Replace("Seedream.ImageSeries.Completed", "Seedream.ImageSeries.Finished", StringComparison.Ordinal)).RootElement).IsValid);
    }

    internal static JsonSchema Schema() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "events.schema.json")), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
}
