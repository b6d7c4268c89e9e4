using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Jobs;
using Seedream.Functions.Listing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>GET /api/generations over real Azurite (blob records, table index): order, paging, filters, bad queries, lag repair.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ListingTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Jobs_are_listed_newest_first_across_three_pages_with_next_links()
    {
        await using var harness = CreateHarness();
        var submitted = await SubmitAsync(harness, 7);

        var seen = new List<string>();
        var pages = new List<int>();
        var query = "?pageSize=3";
        while (true)
        {
            var response = await harness.ListAsync(query);
            Assert.Equal(200, response.Status);
            Assert.Equal("application/json; charset=utf-8", response.ContentType);
            var body = response.Json;
            var items = body.GetProperty("items");
            pages.Add(items.GetArrayLength());
            seen.AddRange(items.EnumerateArray().Select(item => item.GetProperty("id").GetString()!));
            if (!body.TryGetProperty("continuationToken", out var token))
            {
                Assert.False(body.TryGetProperty("nextLink", out _));
                break;
            }

            var nextLink = body.GetProperty("nextLink").GetString()!;
            Assert.StartsWith("https://pipeline.example/api/generations?pageSize=3&continuationToken=", nextLink, StringComparison.Ordinal);
            query = nextLink["https://pipeline.example/api/generations".Length..];
            Assert.Contains(Uri.EscapeDataString(token.GetString()!), query, StringComparison.Ordinal);
        }

        Assert.Equal([3, 3, 1], pages);
        Assert.Equal(Enumerable.Reverse(submitted), seen);
    }

    [Fact]
    public async Task Items_carry_the_summary_and_links_and_filters_select_by_status_and_creation_time()
    {
        await using var harness = CreateHarness();
        var succeeded = await SubmitAsync(harness, 2);
        await harness.RunQueuesAsync();
        await harness.EnqueueRawAsync("""{"id":"listing-invalid","model":"doubao-seedream-4-0-250828","prompt":"x","size":"1K","watermark":"no"}""");
        await harness.RunQueuesAsync();
        var queued = await SubmitAsync(harness, 2);

        var all = (await harness.ListAsync()).Json.GetProperty("items");
        string[] expected = [.. Enumerable.Reverse(queued), "listing-invalid", .. Enumerable.Reverse(succeeded)];
        Assert.Equal(expected, all.Strings("id"));
        Assert.Equal(["queued", "queued", "failed", "succeeded", "succeeded"], all.Strings("status"));

        var done = all[3];
        Assert.Equal(TestRequests.Model, done.GetProperty("model").GetString());
        Assert.Equal(1, done.GetProperty("imageCount").GetInt32());
        Assert.True(done.GetProperty("cost").GetProperty("amount").GetDecimal() > 0);
        Assert.Equal("CNY", done.GetProperty("cost").GetProperty("currency").GetString());
        var id = done.GetProperty("id").GetString()!;
        Assert.Equal($"https://pipeline.example/api/generations/{id}", done.GetProperty("statusUrl").GetString());
        Assert.Equal($"https://pipeline.example/api/generations/{id}/view", done.GetProperty("viewUrl").GetString());
        var status = (await harness.GetJobAsync(id)).Json;
        Assert.Equal(status.GetProperty("createdAt").GetDateTimeOffset(), done.GetProperty("createdAt").GetDateTimeOffset());

        Assert.Equal(Enumerable.Reverse(succeeded), (await harness.ListAsync("?status=succeeded")).Json.GetProperty("items").Strings("id"));
        var failed = (await harness.ListAsync("?status=failed")).Json.GetProperty("items").Strings("id");
        Assert.Equal(["listing-invalid"], failed);
        var queuedOrFailed = (await harness.ListAsync("?status=queued,failed")).Json.GetProperty("items").Strings("id");
        Assert.Equal([.. Enumerable.Reverse(queued), "listing-invalid"], queuedOrFailed);

        // createdAfter is exclusive: the job created at that instant is not listed, the ones after it are.
        var secondQueued = (await harness.GetJobAsync(queued[0])).Json.GetProperty("createdAt").GetString()!;
        Assert.Equal([queued[1]], (await harness.ListAsync("?createdAfter=" + Uri.EscapeDataString(secondQueued))).Json.GetProperty("items").Strings("id"));
        Assert.Empty((await harness.ListAsync("?status=succeeded&createdAfter=" + Uri.EscapeDataString(secondQueued))).Json.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("?continuationToken=bm90LWEtdG9rZW4", "continuationToken")]
    [InlineData("?continuationToken=%25%25%25", "continuationToken")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    [InlineData("?pageSize=ten", "pageSize")]
    [InlineData("?status=done", "status")]
    [InlineData("?status=", "status")]
    [InlineData("?createdAfter=2026-11-29", "createdAfter")]
    [InlineData("?createdAfter=2026-11-29T08:00:00", "createdAfter")]
    [InlineData("?pageSize=2&pageSize=3", "pageSize")]
    public async Task Bad_query_parameters_get_a_400_problem_naming_the_parameter(string query, string field)
    {
        await using var harness = CreateHarness();

        var response = await harness.ListAsync(query);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        var errors = response.Json.GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Every_parameter_at_fault_is_named_at_once()
    {
        await using var harness = CreateHarness();

        var response = await harness.ListAsync("?status=nope&pageSize=-1&createdAfter=yesterday&continuationToken=x");

        Assert.Equal(400, response.Status);
        Assert.Equal(["continuationToken", "createdAfter", "pageSize", "status"], response.Json.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task A_token_from_a_page_that_another_job_later_precedes_still_continues_where_it_was()
    {
        await using var harness = CreateHarness();
        var submitted = await SubmitAsync(harness, 3);
        var first = (await harness.ListAsync("?pageSize=2")).Json;
        var token = first.GetProperty("continuationToken").GetString()!;
        await SubmitAsync(harness, 1);

        var second = (await harness.ListAsync("?pageSize=2&continuationToken=" + Uri.EscapeDataString(token))).Json;

        Assert.Equal([submitted[0]], second.GetProperty("items").Strings("id"));
        Assert.False(second.TryGetProperty("continuationToken", out _));
    }

    [Fact]
    public async Task A_row_that_lags_its_record_is_listed_from_the_record_and_repaired_and_a_row_without_a_record_is_skipped()
    {
        await using var harness = CreateHarness();
        var id = (await SubmitAsync(harness, 1))[0];
        await harness.RunQueuesAsync();
        var table = harness.Services.GetRequiredService<TableServiceClient>().GetTableClient(harness.Configuration["JobIndexTable"]);
        var row = Assert.Single(table.Query<TableEntity>());
        Assert.Equal("succeeded", row.GetString("Status"));

        // As if the update after the terminal write had been lost: the row still says running.
        row["Status"] = "running";
        row["ImageCount"] = 0;
        await table.UpdateEntityAsync(row, row.ETag);
        // And a row for a submission whose record was never created.
        var orphanCreated = DateTimeOffset.UtcNow;
        await table.AddEntityAsync(new TableEntity("jobs", JobIndexEntry.RowKeyFor(orphanCreated, "orphan"))
        {
            ["JobId"] = "orphan", ["Status"] = "queued", ["CreatedAt"] = orphanCreated, ["ImageCount"] = 0, ["Confirmed"] = false,
        });

        var listed = Assert.Single((await harness.ListAsync()).Json.GetProperty("items").EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("succeeded", listed.GetProperty("status").GetString());
        Assert.Equal(1, listed.GetProperty("imageCount").GetInt32());
        Assert.Equal(id, Assert.Single((await harness.ListAsync("?status=succeeded")).Json.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await harness.ListAsync("?status=running")).Json.GetProperty("items").EnumerateArray());

        var repaired = (await table.GetEntityAsync<TableEntity>("jobs", row.RowKey)).Value;
        Assert.Equal("succeeded", repaired.GetString("Status"));
        Assert.Equal(1, repaired.GetInt32("ImageCount"));
    }

    [Fact]
    public async Task A_repair_never_puts_an_older_summary_over_a_row_written_since_it_was_read()
    {
        await using var harness = CreateHarness();
        var id = (await SubmitAsync(harness, 1))[0];
        var table = harness.Services.GetRequiredService<TableServiceClient>().GetTableClient(harness.Configuration["JobIndexTable"]);
        var readByListing = Assert.Single(table.Query<TableEntity>());
        Assert.Equal("queued", readByListing.GetString("Status"));
        var queuedSummary = JobSummary.From((await harness.Services.GetRequiredService<JobStore>().GetAsync(id, CancellationToken.None))!.Job);

        // The job runs to its end (rows written after each record write) while a listing still holds the queued row.
        await harness.RunQueuesAsync();
        var index = harness.Services.GetRequiredService<JobIndex>();

        Assert.False(await index.RepairAsync(queuedSummary, readByListing.ETag, CancellationToken.None));
        Assert.Equal("succeeded", (await table.GetEntityAsync<TableEntity>("jobs", readByListing.RowKey)).Value.GetString("Status"));
    }

    private PipelineHarness CreateHarness() =>
        fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });

    private static async Task<List<string>> SubmitAsync(PipelineHarness harness, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var accepted = await harness.SubmitAsync(TestRequests.Create($"listing job {i.ToString(CultureInfo.InvariantCulture)}"));
            Assert.Equal(202, accepted.Status);
            ids.Add(accepted.Json.GetProperty("id").GetString()!);
        }

        return ids;
    }
}
