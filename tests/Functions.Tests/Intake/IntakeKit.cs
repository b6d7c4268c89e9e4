using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Seedream.Functions.Drops;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Tests.Intake;

/// <summary>Shared pieces of the intake suite: one harness per settings for the whole run, and the assertions every class makes.</summary>
internal static class IntakeKit
{
    private static readonly Dictionary<string, PipelineHarness> Shared = [];
    private static readonly HttpClient Http = new();
    private static readonly Dictionary<string, byte[]> Images = [];

    /// <summary>
    /// One harness (DI, storage names, model catalog) per distinct settings, reused by every test of the run: most cases
    /// call the intake directly, so building the app's services per case would be most of the suite's time.
    /// </summary>
    public static PipelineHarness Harness(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var key = settings is null ? string.Empty : string.Join(';', settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
        lock (Shared)
        {
            if (!Shared.TryGetValue(key, out var harness))
            {
                Shared[key] = harness = fixture.CreateHarness(settings);
            }

            return harness;
        }
    }

    public static SubmissionIntake Intake(PipelineFixture fixture, IReadOnlyDictionary<string, string?>? settings = null) =>
        Harness(fixture, settings).Services.GetRequiredService<SubmissionIntake>();

    /// <summary>The context the origin's entry point passes: a drop resolves inbox names beside <c>drops/request.json</c>.</summary>
    public static IntakeContext ContextFor(PipelineFixture fixture, IntakeOrigin origin, string? cancelAfter = null) => new()
    {
        CancelAfter = cancelAfter,
        References = origin == IntakeOrigin.Drop
            ? Harness(fixture).Services.GetRequiredService<InboxReferenceResolver>().Beside("drops/request.json")
            : IReferenceResolver.None,
    };

    /// <summary>A real PNG from the emulator's reference route.</summary>
    public static async Task<byte[]> PngAsync(PipelineFixture fixture, int width = 64, int height = 64)
    {
        var key = $"{width}x{height}";
        lock (Images)
        {
            if (Images.TryGetValue(key, out var cached))
            {
                return cached;
            }
        }

        var bytes = await Http.GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("intake", width, height));
        lock (Images)
        {
            Images[key] = bytes;
        }

        return bytes;
    }

    /// <summary>Every expected field is named (an entry ending in '*' by prefix; "*" alone: any field).</summary>
    public static void NamesEvery(IReadOnlyDictionary<string, string[]> problems, IEnumerable<string> expected, string context)
    {
        Assert.True(problems.Count > 0, $"{context}: refused without any field named.");
        Assert.All(problems, p => Assert.True(p.Value.Length > 0 && p.Value.All(m => m.Length is > 0 and <= 2000), $"{context}: field {p.Key} has an empty or oversized message."));
        foreach (var field in expected)
        {
            var named = field.EndsWith('*')
                ? problems.Keys.Any(k => k.StartsWith(field[..^1], StringComparison.Ordinal))
                : problems.ContainsKey(field);
            Assert.True(named, $"{context}: expected '{field}' to be named; got {JsonSerializer.Serialize(problems)}");
        }
    }

    public static IReadOnlyDictionary<string, string[]> Errors(JsonElement errors) =>
        errors.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(m => m.GetString()!).ToArray());

    public static async Task<int> BlobCountAsync(BlobContainerClient container)
    {
        if (!(await container.ExistsAsync()).Value)
        {
            return 0;
        }

        var count = 0;
        await foreach (var _ in container.GetBlobsAsync())
        {
            count++;
        }

        return count;
    }
}
