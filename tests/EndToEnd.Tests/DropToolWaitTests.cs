using System.Diagnostics;
using System.Reflection;
using Azure.Storage.Blobs;
using Seedream.Functions;
using Seedream.Functions.Batches;
using Seedream.Functions.Drops;
using Seedream.Functions.Jobs;
using Seedream.Testing;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// The drop tool (its build, as <c>./run.sh drop</c> runs it) stops waiting as soon as the app marks the blob with any
/// final status of the outcome table (of the batch statuses for a <c>.jsonl</c> file), and exits 1 exactly for the
/// outcomes that count as failures. The app is played by the test: it writes the marks the app writes.
/// </summary>
public sealed class DropToolWaitTests
{
    [Fact]
    public Task The_tool_returns_on_every_final_status_and_keeps_waiting_on_the_others() =>
        AssertWaitsAsync(".png", InboxStore.JobIdKey, "job", "running",
            JobOutcomes.All.Where(o => o.IsFinal).Select(o => (o.Name, o.IsFailure)));

    [Fact]
    public Task For_a_batch_file_the_tool_returns_on_every_final_batch_status_and_keeps_waiting_on_the_others() =>
        AssertWaitsAsync(".jsonl", BatchDropService.BatchIdKey, "batch", BatchStatusNames.NameOf(BatchStatus.InProgress),
            Enum.GetValues<BatchStatus>().Where(BatchStatusNames.IsFinished).Select(s => (BatchStatusNames.NameOf(s), BatchStatusNames.IsFailure(s))));

    /// <summary>For each final status: the tool keeps waiting on <paramref name="pending"/>, then returns at once on the final one with its exit code.</summary>
    private static async Task AssertWaitsAsync(string extension, string idKey, string kind, string pending, IEnumerable<(string Name, bool IsFailure)> outcomes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var azurite = await AzuriteInstance.StartAsync(timeout.Token);
        var file = Path.Combine(Path.GetTempPath(), $"drop-wait-{Guid.NewGuid():N}{extension}");
        await File.WriteAllBytesAsync(file, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], timeout.Token);
        try
        {
            var inbox = azurite.CreateBlobServiceClient().GetBlobContainerClient("inbox");
            foreach (var outcome in outcomes)
            {
                var blob = inbox.GetBlobClient($"wait-{outcome.Name}{extension}");
                var tool = StartTool(azurite, file, blob.Name);
                var output = tool.StandardOutput.ReadToEndAsync(CancellationToken.None);
                var error = tool.StandardError.ReadToEndAsync(CancellationToken.None);
                try
                {
                    await WaitForBlobAsync(blob, timeout.Token);
                    // Still running: the app has marked the job (or batch) but it is not final yet.
                    await blob.SetMetadataAsync(Marks(idKey, kind, outcome.Name, pending), cancellationToken: timeout.Token);
                    await Task.Delay(TimeSpan.FromSeconds(1.5), timeout.Token);
                    Assert.False(tool.HasExited, $"the tool stopped on a {pending} {kind}");

                    await blob.SetMetadataAsync(Marks(idKey, kind, outcome.Name, outcome.Name), cancellationToken: timeout.Token);
                    var started = Stopwatch.StartNew();
                    using var quick = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                    quick.CancelAfter(TimeSpan.FromSeconds(15));
                    await tool.WaitForExitAsync(quick.Token);
                    Assert.True(started.Elapsed < TimeSpan.FromSeconds(15));
                    var printed = await output;
                    Assert.True(printed.Contains($"{kind} {kind}-{outcome.Name} {outcome.Name}", StringComparison.Ordinal), printed + await error);
                    Assert.Equal(outcome.IsFailure ? 1 : 0, tool.ExitCode);
                }
                finally
                {
                    if (!tool.HasExited)
                    {
                        tool.Kill(entireProcessTree: true);
                    }

                    tool.Dispose();
                }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Dictionary<string, string> Marks(string idKey, string kind, string name, string status) => new()
    {
        [idKey] = $"{kind}-{name}",
        [InboxStore.StatusKey] = status,
    };

    private static async Task WaitForBlobAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        while (!await blob.ExistsAsync(cancellationToken))
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static Process StartTool(AzuriteInstance azurite, string file, string blobName)
    {
        var configuration = typeof(DropToolWaitTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var tool = Path.Combine(RepositoryPaths.Root, "tools", "DropTool", "bin", configuration, "net10.0", "Seedream.DropTool.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { tool, file, "--name", blobName, "--prompt", "wait test", "--wait", "60" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        return Process.Start(startInfo)!;
    }
}
