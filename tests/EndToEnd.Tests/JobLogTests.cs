using System.Net.Http.Headers;
using System.Text.Json;
using Seedream.Testing;
using Xunit.Abstractions;

namespace Seedream.EndToEnd.Tests;

/// <summary>
/// What a newcomer's terminal shows for one job under <c>./run.sh</c> (default, not <c>--verbose</c>): a few lines, one
/// per job step, none from the HTTP client or the retry library.
/// </summary>
public sealed class JobLogTests(ITestOutputHelper output)
{
    /// <summary>
    /// The most function-app lines (<c>[app] …</c>) one single-image job may print, from its submission until its
    /// queue invocation has finished. Budget: the app's line per step (accepted, sent to Seedream, image 0 stored,
    /// completed or failed, event published: 5) plus the host's two invocation lines (the POST and the queue trigger),
    /// plus one to spare. Status polls print nothing (host.json quiets the read endpoints). The receiver's event line
    /// (<c>[events] …</c>) is counted separately: exactly one.
    /// </summary>
    public const int MaxAppLinesPerJob = 8;

    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_single_image_job_prints_one_line_per_step_and_no_client_or_retry_lines()
    {
        using var budget = new CancellationTokenSource(s_budget);
        var cancellationToken = budget.Token;
        await using var stack = LocalStack.Start();
        try
        {
            await stack.WaitUntilReadyAsync(s_budget).WaitAsync(cancellationToken);
            Assert.Contains(stack.PrintedLines(), line => line.StartsWith("[app] ", StringComparison.Ordinal) && line.Contains("Hosting environment: Development", StringComparison.Ordinal));
            var before = stack.PrintedLines().Count;

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "examples", "text-to-image.json"), cancellationToken));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var accepted = await http.PostAsync(new Uri(stack.ApiBaseUrl, "generations"), content, cancellationToken);
            var id = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("id").GetString()!;

            while (JsonDocument.Parse(await http.GetStringAsync(new Uri(stack.ApiBaseUrl, $"generations/{id}"), cancellationToken)).RootElement
                .GetProperty("status").GetString() is "queued" or "running")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }

            // The job's last lines: the queue invocation's end and the receiver's event line.
            List<string> printed;
            while (true)
            {
                printed = stack.PrintedLines().Skip(before).ToList();
                if (printed.Exists(line => line.Contains("Executed 'Functions.ProcessGenerationRequest'", StringComparison.Ordinal))
                    && printed.Exists(line => line.StartsWith("[events] ", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal)))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            printed = stack.PrintedLines().Skip(before).ToList();
            output.WriteLine($"Printed for job {id}:\n{string.Join('\n', printed)}");

            var appLines = printed.Where(line => line.StartsWith("[app] ", StringComparison.Ordinal)).ToList();
            Assert.True(appLines.Count <= MaxAppLinesPerJob, $"{appLines.Count} app lines for one single-image job (at most {MaxAppLinesPerJob}):\n{string.Join('\n', appLines)}");
            Assert.Contains(appLines, line => line.Contains(id, StringComparison.Ordinal) && line.Contains("event", StringComparison.OrdinalIgnoreCase));
            Assert.Single(appLines, line => line.Contains($"Job {id} accepted", StringComparison.Ordinal));
            Assert.DoesNotContain(appLines, line => line.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal) || line.Contains("Polly", StringComparison.Ordinal));
            Assert.DoesNotContain(appLines, line => line.Contains("Functions.GetGeneration'", StringComparison.Ordinal));
            Assert.Single(printed, line => line.StartsWith("[events] ", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine(stack.Output);
            throw;
        }
    }
}
