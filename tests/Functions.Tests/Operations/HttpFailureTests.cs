using System.Text.Json;
using Seedream.Testing;

namespace Seedream.Functions.Tests.Operations;

/// <summary>
/// One mapping for every route (<see cref="HttpFailures"/>, run by the Functions host's middleware and the development
/// host): a missing job is a 404 problem, a storage outage a 503 problem with Retry-After, never the host's 500.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HttpFailureTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Every_job_route_answers_404_for_a_job_that_does_not_exist()
    {
        await using var harness = fixture.CreateHarness();
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        var id = Guid.CreateVersion7().ToString("N");

        foreach (var answer in new[] { await harness.GetJobAsync(id), await harness.GetImageAsync(id, 0), await harness.CancelAsync(id), await ViewGenerationTests.ViewAsync(harness, id) })
        {
            Assert.Equal((404, "application/problem+json"), (answer.Status, answer.ContentType));
            Assert.Contains(id, JsonDocument.Parse(answer.Body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Job_routes_and_the_listing_answer_503_problems_while_storage_is_unreachable()
    {
        var port = FreePorts.Take(1)[0];
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName={AzuriteInstance.AccountName};AccountKey={AzuriteInstance.AccountKey};"
                + $"BlobEndpoint=http://127.0.0.1:{port}/{AzuriteInstance.AccountName};QueueEndpoint=http://127.0.0.1:{port}/{AzuriteInstance.AccountName};"
                + $"TableEndpoint=http://127.0.0.1:{port}/{AzuriteInstance.AccountName}",
        });
        var id = Guid.CreateVersion7().ToString("N");

        foreach (var answer in new[] { await harness.GetJobAsync(id), await OperationsHttp.ListAsync(harness, string.Empty) })
        {
            Assert.Equal((503, "application/problem+json"), (answer.Status, answer.ContentType));
            Assert.Equal("5", answer.Headers["Retry-After"].ToString());
            Assert.Equal("Storage unavailable", JsonDocument.Parse(answer.Body).RootElement.GetProperty("title").GetString());
        }
    }
}
