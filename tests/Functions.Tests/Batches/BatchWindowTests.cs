using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Batches;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Tests.Batches;

/// <summary>Bounded fan-out (Batches:MaxJobsAhead) against Azurite and the emulator: the window holds, the batch still settles every line once, a pause resumes once.</summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchWindowTests
{
    private readonly PipelineFixture _fixture;

    public BatchWindowTests(PipelineFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(0, false)]
    [InlineData(-5, false)]
    [InlineData(100_001, false)]
    [InlineData(1, true)]
    [InlineData(500, true)]
    public void The_window_setting_is_validated(int maxJobsAhead, bool valid)
    {
        var options = new BatchOptions { MaxJobsAhead = maxJobsAhead };
        var results = new List<ValidationResult>();
        var ok = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(valid, ok);
        Assert.Equal(valid ? [] : [nameof(BatchOptions.MaxJobsAhead)], results.SelectMany(r => r.MemberNames));
        Assert.Equal(500, new BatchOptions().MaxJobsAhead);
    }

    [Fact]
    public async Task A_batch_larger_than_the_window_settles_every_line_once_and_never_has_more_unfinished_jobs_than_the_window()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:MaxJobsAhead"] = "5" });
        var marker = "window-" + Guid.NewGuid().ToString("N")[..8];
        var (text, valid, broken) = BatchLines.Mixed(23, marker);
        var id = await harness.SubmitOkAsync(text);
        var jobs = harness.Pipeline.Services.GetRequiredService<JobStore>();

        // One message at a time, counting the batch's unfinished jobs in the job store after each.
        var peak = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        BatchRecord batch;
        while (true)
        {
            await harness.RunQueuesAsync(max: 1);
            var unfinished = 0;
            foreach (var jobId in await harness.JobIdsAsync(id))
            {
                unfinished += (await jobs.GetAsync(jobId, CancellationToken.None))!.Job.IsTerminal ? 0 : 1;
            }

            peak = Math.Max(peak, unfinished);
            Assert.True(unfinished <= 5, $"{unfinished} unfinished jobs with a window of 5");
            batch = (await harness.Batches.GetAsync(id, CancellationToken.None))!.Batch;
            Assert.True(batch.Tally.Unfinished <= 5, $"the record counts {batch.Tally.Unfinished} unfinished jobs");
            if (batch is { IsFinished: true, TerminalEvent.PublishedAt: not null })
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not end: {JsonSerializer.Serialize(batch)}");
        }

        Assert.Equal(5, peak);
        Assert.True(batch.FanOut.Pauses >= 3, $"{batch.FanOut.Pauses} pauses");
        Assert.False(batch.FanOut.Paused);
        Assert.Equal(BatchStatus.Completed, batch.Status);
        var output = await harness.ReadLinesAsync(batch.OutputFile);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(Enumerable.Range(1, 23), output.Concat(errors).Select(l => l.GetProperty("line").GetInt32()).Order());
        Assert.Equal(valid.Order(), output.Select(BatchLines.CustomId).Order());
        Assert.Equal(broken, errors.Count);
        Assert.Equal(valid.Count, harness.GenerationsFor(marker).Count);
        Assert.Single(harness.BatchEvents(id));
        var counts = BatchRequestCounts.From(batch.Tally);
        Assert.Equal(23, counts.Total);
        Assert.Equal(counts.Total, counts.Succeeded + counts.Failed + counts.Cancelled + counts.Expired + counts.Queued + counts.Running);
    }

    [Fact]
    public async Task Concurrent_job_ends_and_their_redeliveries_resume_a_paused_fan_out_once()
    {
        // The resume check's delay keeps it out of the way: only job ends may resume here.
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:MaxJobsAhead"] = "4", ["Batches:CheckInterval"] = "00:10:00" });
        var marker = "resume-" + Guid.NewGuid().ToString("N")[..8];
        var text = string.Concat(Enumerable.Range(1, 10).Select(n => BatchLines.Line($"r-{n}", BatchLines.Example(n, marker)) + "\n"));
        var id = await harness.SubmitOkAsync(text);

        await harness.RunQueuesAsync(harness.Batches.Control);
        var paused = (await harness.Batches.GetAsync(id, CancellationToken.None))!.Batch;
        Assert.True(paused.FanOut is { Paused: true, Pauses: 1, NextLine: 5, Completed: false }, JsonSerializer.Serialize(paused.FanOut));
        Assert.Equal(4, paused.Tally.Accepted);
        Assert.Equal(4, (await harness.JobIdsAsync(id)).Count);

        // All four jobs run and end at once; then each end is reported again, as a retried event publish does.
        var messages = (await harness.Batches.Generation.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
        Assert.Equal(4, messages.Length);
        await Task.WhenAll(messages.Select(m => Task.Run(() => harness.Pipeline.Create<ProcessBatchGenerationRequest>().RunAsync(m, CancellationToken.None))));
        var jobs = harness.Pipeline.Services.GetRequiredService<JobStore>();
        var progress = harness.Pipeline.Services.GetRequiredService<BatchProgress>();
        var ended = new List<GenerationJob>();
        foreach (var jobId in await harness.JobIdsAsync(id))
        {
            ended.Add((await jobs.GetAsync(jobId, CancellationToken.None))!.Job);
        }

        Assert.All(ended, job => Assert.True(job.IsTerminal));
        await Task.WhenAll(ended.Select(job => Task.Run(() => progress.JobEndedAsync(job, CancellationToken.None))));

        var fanOuts = (await harness.Batches.Control.PeekMessagesAsync(32)).Value
            .Count(m => BatchControlMessage.TryParse(m.Body.ToMemory(), out var control) && control.Step == BatchControlMessage.FanOutStep);
        Assert.Equal(1, fanOuts);
        var resumed = (await harness.Batches.GetAsync(id, CancellationToken.None))!.Batch;
        Assert.False(resumed.FanOut.Paused);
        Assert.Equal(4, resumed.Tally.Ended);

        // The resumed fan-out fills the window again and pauses at the next line.
        await harness.RunQueuesAsync(harness.Batches.Control);
        var again = (await harness.Batches.GetAsync(id, CancellationToken.None))!.Batch;
        Assert.True(again.FanOut is { Paused: true, Pauses: 2, NextLine: 9 }, JsonSerializer.Serialize(again.FanOut));
        Assert.Equal(8, (await harness.JobIdsAsync(id)).Count);
    }

    [Fact]
    public async Task A_cancel_while_the_fan_out_is_paused_settles_the_unread_lines_as_cancelled()
    {
        await using var harness = new BatchHarness(_fixture, new Dictionary<string, string?> { ["Batches:MaxJobsAhead"] = "3" });
        var marker = "cancel-paused-" + Guid.NewGuid().ToString("N")[..8];
        var text = string.Concat(Enumerable.Range(1, 12).Select(n => BatchLines.Line($"p-{n}", BatchLines.Example(n, marker)) + "\n"));
        var id = await harness.SubmitOkAsync(text);
        await harness.RunQueuesAsync(harness.Batches.Control, max: 1);
        Assert.True((await harness.Batches.GetAsync(id, CancellationToken.None))!.Batch.FanOut.Paused);

        Assert.Equal(StatusCodes.Status202Accepted, (await harness.CancelAsync(id)).Status);
        var batch = await harness.RunToEndAsync(id);

        Assert.Equal(BatchStatus.Cancelled, batch.Status);
        Assert.Empty(harness.GenerationsFor(marker));
        Assert.Equal(3, (await harness.JobIdsAsync(id)).Count);
        var errors = await harness.ReadLinesAsync(batch.ErrorFile);
        Assert.Equal(Enumerable.Range(1, 12).Select(n => $"p-{n}").Order(), errors.Select(BatchLines.CustomId).Order());
        var counts = BatchRequestCounts.From(batch.Tally);
        Assert.Equal(12, counts.Total);
        Assert.Equal(12, counts.Cancelled);
    }
}
