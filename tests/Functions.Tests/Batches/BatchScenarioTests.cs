using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Seedream.Functions.Batches;
using Seedream.Functions.Configuration;
using Seedream.Functions.OpenApi;

namespace Seedream.Functions.Tests.Batches;

/// <summary>Batches end to end against Azurite, the emulator and the Event Grid receiver: every line settled once, restarts, cancel, the OpenAI file format.</summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchScenarioTests
{
    private readonly PipelineFixture _fixture;

    public BatchScenarioTests(PipelineFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_mixed_batch_settles_every_line_once_in_the_output_or_the_error_file()
    {
        await using var harness = new BatchHarness(_fixture);
        var marker = "mixed-" + Guid.NewGuid().ToString("N")[..8];
        var (text, valid, broken) = BatchLines.Mixed(210, marker);
        var id = await harness.SubmitOkAsync(text, "?completion_window=2h&metadata.feed=catalogue");

        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Completed, batch.Status);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(210, output.Count + errors.Count);
        Assert.Equal(valid.Count, output.Count);
        Assert.Equal(broken, errors.Count);
        // Each input line once, by number; each valid custom_id once, in the output.
        Assert.Equal(Enumerable.Range(1, 210), output.Concat(errors).Select(l => l.GetProperty("line").GetInt32()).Order());
        Assert.Equal(valid.Order(), output.Select(BatchLines.CustomId).Order());
        foreach (var line in output)
        {
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var data = response.GetProperty("body").GetProperty("data");
            Assert.True(data.GetArrayLength() >= 1);
            Assert.All(data.EnumerateArray(), image => Assert.StartsWith(harness.Pipeline.Storage.Images.Uri.AbsoluteUri, image.GetProperty("url").GetString(), StringComparison.Ordinal));
        }

        // Every problem of a bad line is named, with the line and the custom_id where it had one.
        var byLine = errors.ToDictionary(l => l.GetProperty("line").GetInt32());
        Assert.Equal("duplicate_custom_id", byLine[7].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("req-1", BatchLines.CustomId(byLine[7]));
        Assert.True(byLine[14].GetProperty("error").GetProperty("fields").TryGetProperty("custom_id", out _));
        var badMethod = byLine[35].GetProperty("error").GetProperty("fields");
        Assert.True(badMethod.TryGetProperty("method", out _) && badMethod.TryGetProperty("extra", out _));
        Assert.True(byLine[28].GetProperty("error").GetProperty("fields").TryGetProperty("body.size", out _));
        Assert.True(byLine[21].GetProperty("error").GetProperty("fields").TryGetProperty("url", out _));

        // One paid call per valid line, one event per job naming its batch, one batch event; the counts add up.
        Assert.Equal(valid.Count, harness.GenerationsFor(marker).Count);
        var jobEvents = harness.JobEvents(id);
        Assert.Equal(valid.Count, jobEvents.Count);
        Assert.All(jobEvents, e => Assert.Equal(id, JsonDocument.Parse(e.Data!.ToString()).RootElement.GetProperty("batch").GetProperty("batchId").GetString()));
        var batchEvent = Assert.Single(harness.BatchEvents(id));
        Assert.Equal(BatchEventPublisher.CompletedType, batchEvent.Type);
        var schema = Operations.EventsSchemaTests.Schema();
        foreach (var cloudEvent in new[] { batchEvent, jobEvents[0] })
        {
            var json = JsonSerializer.SerializeToElement(cloudEvent);
            Assert.True(schema.Evaluate(json, new Json.Schema.EvaluationOptions { RequireFormatValidation = true }).IsValid, $"{cloudEvent.Type} does not match docs/events.schema.json:\n{json}");
        }

        Assert.False(schema.Evaluate(JsonDocument.Parse(JsonSerializer.SerializeToElement(batchEvent).GetRawText().Replace("\"completed\"", "\"done\"", StringComparison.Ordinal)).RootElement).IsValid);
        var view = (await harness.GetAsync(id)).Json;
        var counts = view.GetProperty("requestCounts");
        Assert.Equal(210, counts.GetProperty("total").GetInt32());
        Assert.Equal(valid.Count, counts.GetProperty("succeeded").GetInt32());
        Assert.Equal(broken, counts.GetProperty("failed").GetInt32());
        Assert.Equal(0, counts.GetProperty("queued").GetInt32() + counts.GetProperty("running").GetInt32());
        Assert.Equal("catalogue", view.GetProperty("metadata").GetProperty("feed").GetString());
        Assert.True(view.GetProperty("estimatedCost").GetProperty("amount").GetDecimal() >= view.GetProperty("cost").GetProperty("amount").GetDecimal());

        // The results are readable through the record's short-lived URLs.
        using var http = new HttpClient();
        var downloaded = await http.GetStringAsync(view.GetProperty("outputFile").GetProperty("url").GetString());
        Assert.Equal(valid.Count, downloaded.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Crashes_at_every_checkpoint_in_generation_and_in_finalizing_leave_no_duplicate_job_no_lost_line_and_one_event()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:ChunkLines"] = "10" });
        var marker = "crash-" + Guid.NewGuid().ToString("N")[..8];
        var (text, valid, broken) = BatchLines.Mixed(70, marker);
        var crashedCheckpoints = new HashSet<long>();
        var crashedJobs = new HashSet<string>();
        var finalizeCrashed = false;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                // The worker dies once at each checkpoint (after the chunk's jobs and errors, before the record says so) and once while finalizing.
                if (activity.OperationName == BatchTelemetry.CheckpointActivity)
                {
                    lock (crashedCheckpoints)
                    {
                        if (crashedCheckpoints.Add(Convert.ToInt64(activity.GetTagItem(BatchTelemetry.LineTag), System.Globalization.CultureInfo.InvariantCulture)))
                        {
                            throw new InvalidOperationException("Simulated crash at a fan-out checkpoint.");
                        }
                    }
                }
                else if (activity.OperationName == BatchTelemetry.FinalizeActivity && !finalizeCrashed)
                {
                    finalizeCrashed = true;
                    throw new InvalidOperationException("Simulated crash while finalizing.");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        // And once in every third job, after its first image is stored (the redelivery resumes; Seedream is not called again).
        harness.Pipeline.Hooks.ImageStored = (jobId, index) =>
        {
            lock (crashedJobs)
            {
                if (jobId.StartsWith(BatchJobIds.BatchIdPrefix, StringComparison.Ordinal) && jobId.GetHashCode(StringComparison.Ordinal) % 3 == 0 && crashedJobs.Add(jobId))
                {
                    throw new InvalidOperationException("Simulated crash after an image was stored.");
                }
            }
        };
        var id = await harness.SubmitOkAsync(text);

        var batch = await harness.RunToEndAsync(id);

        Assert.True(crashedCheckpoints.Count >= 7 && finalizeCrashed && crashedJobs.Count > 0, $"{crashedCheckpoints.Count} checkpoints, {crashedJobs.Count} jobs crashed");
        Assert.Equal(BatchStatus.Completed, batch.Status);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(Enumerable.Range(1, 70), output.Concat(errors).Select(l => l.GetProperty("line").GetInt32()).Order());
        Assert.Equal(valid.Order(), output.Select(BatchLines.CustomId).Order());
        Assert.Equal(broken, errors.Count);
        Assert.Equal(valid.Count, (await harness.JobIdsAsync(id)).Count);
        Assert.Equal(valid.Count, harness.GenerationsFor(marker).Count);
        Assert.Single(harness.BatchEvents(id));
        Assert.Equal(valid.Count, harness.JobEvents(id).Select(e => e.Id).Distinct().Count());
        Assert.Equal(70, batch.Tally.Lines);
        Assert.Equal(valid.Count, batch.Tally.Succeeded + batch.Tally.PartiallySucceeded);
    }

    [Fact]
    public async Task Cancel_during_a_run_starts_no_seedream_call_after_it_answered_and_the_counts_add_up()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:ChunkLines"] = "10" });
        var marker = "cancel-" + Guid.NewGuid().ToString("N")[..8];
        var text = string.Concat(Enumerable.Range(1, 40).Select(n => BatchLines.Line($"c-{n}", BatchLines.Example(n, marker)) + "\n"));
        var id = await harness.SubmitOkAsync(text);
        // The fan-out reads the first two chunks, five jobs run, then the cancel lands.
        await harness.RunQueuesAsync(harness.Batches.Control, max: 1).ContinueWith(_ => { }, TaskScheduler.Default);
        var partly = await harness.Batches.GetAsync(id, CancellationToken.None);
        Assert.True(partly!.Batch.FanOut.Completed);
        await harness.RunQueuesAsync(harness.Batches.Generation, max: 5);

        var cancel = await harness.CancelAsync(id);
        var answeredAt = DateTimeOffset.UtcNow;
        var callsAtCancel = harness.GenerationsFor(marker).Count;

        Assert.Equal(StatusCodes.Status202Accepted, cancel.Status);
        Assert.Equal("cancelling", cancel.Json.GetProperty("status").GetString());
        var batch = await harness.RunToEndAsync(id);
        Assert.Equal(callsAtCancel, harness.GenerationsFor(marker).Count);
        Assert.DoesNotContain(harness.GenerationsFor(marker), r => r.ReceivedAt > answeredAt);
        Assert.Equal(5, callsAtCancel);
        Assert.Equal(BatchStatus.Cancelled, batch.Status);
        var counts = BatchRequestCounts.From(batch.Tally);
        Assert.Equal(40, counts.Total);
        Assert.Equal(5, counts.Succeeded);
        Assert.Equal(35, counts.Cancelled);
        Assert.Equal(counts.Total, counts.Succeeded + counts.Failed + counts.Cancelled + counts.Expired + counts.Queued + counts.Running);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(5, output.Count);
        Assert.Equal(35, errors.Count);
        Assert.All(errors, e => Assert.Equal("batch_cancelled", e.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(BatchEventPublisher.CancelledType, Assert.Single(harness.BatchEvents(id)).Type);
        Assert.Equal(StatusCodes.Status409Conflict, (await harness.CancelAsync(id)).Status);
    }

    [Fact]
    public async Task A_cancel_during_the_fan_out_settles_the_unread_lines_as_cancelled_without_jobs()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:ChunkLines"] = "10" });
        var marker = "cancel-fan-" + Guid.NewGuid().ToString("N")[..8];
        var text = string.Concat(Enumerable.Range(1, 50).Select(n => BatchLines.Line($"f-{n}", BatchLines.Example(n, marker)) + "\n"));
        var id = await harness.SubmitOkAsync(text);
        var cancelled = false;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == BatchTelemetry.CheckpointActivity && !cancelled)
                {
                    cancelled = true;
                    Assert.Equal(StatusCodes.Status202Accepted, harness.CancelAsync(id).GetAwaiter().GetResult().Status);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Cancelled, batch.Status);
        Assert.Empty(harness.GenerationsFor(marker));
        Assert.Equal(10, (await harness.JobIdsAsync(id)).Count);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(50, errors.Count);
        Assert.Empty(await harness.ReadLinesAsync(batch.OutputFile));
        Assert.Equal(Enumerable.Range(1, 50).Select(n => $"f-{n}").Order(), errors.Select(BatchLines.CustomId).Order());
    }

    [Fact]
    public async Task A_file_written_for_the_openai_batch_api_image_endpoint_runs_unchanged_and_its_output_has_the_openai_line_shape()
    {
        await using var harness = new BatchHarness(_fixture);
        // As OpenAI's batch guide writes it for /v1/images/generations, with a Seedream model.
        var text = """
            {"custom_id": "request-1", "method": "POST", "url": "/v1/images/generations", "body": {"model": "doubao-seedream-4-0-250828", "prompt": "A cute baby sea otter wearing a beret", "size": "1024x1024", "response_format": "url"}}
            {"custom_id": "request-2", "method": "POST", "url": "/v1/images/generations", "body": {"model": "doubao-seedream-4-0-250828", "prompt": "A watercolor lighthouse at dawn", "size": "1024x1024"}}
            """;
        var id = await harness.SubmitOkAsync(text);

        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Completed, batch.Status);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        Assert.Equal(["request-1", "request-2"], output.Select(BatchLines.CustomId).Order());
        foreach (var line in output)
        {
            // The documented output line: {id, custom_id, response: {status_code, request_id, body}, error}; body as an images response.
            Assert.StartsWith("batch_req_", line.GetProperty("id").GetString(), StringComparison.Ordinal);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.False(string.IsNullOrEmpty(response.GetProperty("request_id").GetString()));
            var body = response.GetProperty("body");
            Assert.True(body.GetProperty("created").GetInt64() > 0);
            var image = Assert.Single(body.GetProperty("data").EnumerateArray());
            Assert.True(Uri.IsWellFormedUriString(image.GetProperty("url").GetString(), UriKind.Absolute));
            Assert.Equal("1024x1024", image.GetProperty("size").GetString());
            Assert.Equal(1, body.GetProperty("usage").GetProperty("generated_images").GetInt32());
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);

            // The OpenAI .NET SDK keeps its batch line types internal (BatchClient takes and returns BinaryData), so the
            // line is read by its documented shape above; the body is an images response its public type reads.
            var images = System.ClientModel.Primitives.ModelReaderWriter.Read<OpenAI.Images.GeneratedImageCollection>(BinaryData.FromString(body.GetRawText()))!;
            Assert.Equal(image.GetProperty("url").GetString(), Assert.Single(images).ImageUri.AbsoluteUri);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(body.GetProperty("created").GetInt64()), images.CreatedAt);
        }

        Assert.Empty(await harness.ReadLinesAsync(batch.ErrorFile));
    }

    [Fact]
    public async Task The_examples_batch_file_runs_and_the_listing_and_view_page_show_it()
    {
        await using var harness = new BatchHarness(_fixture);
        var text = await File.ReadAllTextAsync(Path.Combine(Seedream.Testing.RepositoryPaths.Root, "examples", "batch.jsonl"));
        // The batch file repeats the four examples verbatim: each line's body is its file's JSON.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            var example = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Seedream.Testing.RepositoryPaths.Root, "examples", node["custom_id"]!.GetValue<string>() + ".json")));
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(example, node["body"]), $"examples/batch.jsonl differs from {node["custom_id"]}.json");
        }

        var contract = new Operations.OpenApiContract(OpenApiDocument.Load());
        var submitted = await harness.SubmitAsync(text, "?metadata.team=docs");
        contract.AssertValid("/batches", "post", submitted);
        var id = submitted.Json.GetProperty("id").GetString()!;
        contract.AssertValid("/batches/{id}", "get", await harness.GetAsync(id));
        var early = await harness.ViewAsync(id);
        Assert.Contains("validating", early.Text, StringComparison.Ordinal);

        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(4, (await harness.ReadLinesAsync(batch.OutputFile)).Count);
        var listedResult = await harness.ListAsync("?pageSize=1");
        contract.AssertValid("/batches", "get", listedResult);
        var listed = listedResult.Json;
        Assert.Equal(id, listed.GetProperty("items")[0].GetProperty("id").GetString());
        contract.AssertValid("/batches/{id}", "get", await harness.GetAsync(id));
        contract.AssertValid("/batches/{id}/cancel", "post", await harness.CancelAsync(id));
        contract.AssertValid("/batches/{id}", "get", await harness.GetAsync("batch_00000000000000000000000000000000"));
        contract.AssertValid("/batches", "post", await harness.SubmitAsync(text, "?completion_window=never"));
        var page = (await harness.ViewAsync(id)).Text;
        Assert.Contains("completed", page, StringComparison.Ordinal);
        Assert.Equal(4, page.Split("class=\"thumb\"").Length - 1);
        Assert.Contains("/api/generations/" + id + "-", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_submissions_get_a_problem_naming_the_parameter_and_unknown_ids_404()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:MaxInputBytes"] = "4096" });
        var bad = await harness.SubmitAsync("{}\n", "?completion_window=soon&deadline=yesterday&metadata.9x=1");
        Assert.Equal(StatusCodes.Status400BadRequest, bad.Status);
        var fields = bad.Json.GetProperty("errors");
        Assert.True(fields.TryGetProperty("completion_window", out _) && fields.TryGetProperty("deadline", out _) && fields.TryGetProperty("metadata.9x", out _));
        Assert.Equal(StatusCodes.Status400BadRequest, (await harness.SubmitAsync(string.Empty)).Status);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, (await harness.SubmitAsync(Encoding.UTF8.GetBytes(new string('x', 5000)))).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await harness.GetAsync("batch_00000000000000000000000000000000")).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await harness.GetAsync("../jobs")).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await harness.CancelAsync("nope")).Status);
    }
}
