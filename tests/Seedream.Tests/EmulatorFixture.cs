using SeedreamEmulator;

namespace Seedream.Tests;

/// <summary>
/// One in-process emulator per test class. Tests in a class run one at a time, but its request log is NOT theirs alone:
/// a POST that an earlier test's client cancelled before the emulator read it is still logged when the emulator gets to
/// it (status 0, no body), which on a loaded machine can be after the next test cleared the log. Tests that count
/// requests therefore count their own, by a marker in the prompt (<see cref="GenerationPosts(string)"/>).
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public SeedreamEmulatorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestSupport.StartEmulatorAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A prompt no other test sends: <paramref name="prompt"/> plus a unique marker.</summary>
    public static string MarkedPrompt(string prompt) => $"{prompt} #{Guid.NewGuid():N}";

    /// <summary>Every generation POST in the log, late ones of earlier tests included.</summary>
    public int GenerationPosts() => Server.Requests.Count(IsGenerationPost);

    /// <summary>Generation POSTs of the request whose prompt is <paramref name="markedPrompt"/>, each attempt counted.</summary>
    public int GenerationPosts(string markedPrompt) => GenerationRequests(markedPrompt).Count;

    /// <summary>
    /// The attempts of the request whose prompt is <paramref name="markedPrompt"/>, in order: those whose logged body holds
    /// it, and those carrying the same <c>X-Client-Request-Id</c> (the client creates it once per call, so a re-sent POST
    /// carries it too, even one cut off before the emulator read its body).
    /// </summary>
    public IReadOnlyList<ReceivedRequest> GenerationRequests(string markedPrompt)
    {
        var posts = Server.Requests.Where(IsGenerationPost).ToList();
        var ids = posts.Where(r => HoldsPrompt(r, markedPrompt)).Select(ClientRequestId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return posts.Where(r => HoldsPrompt(r, markedPrompt) || (ClientRequestId(r) is { } id && ids.Contains(id))).ToList();
    }

    private static bool IsGenerationPost(ReceivedRequest request) =>
        request.Method == "POST" && request.Path.EndsWith("/images/generations", StringComparison.Ordinal);

    private static bool HoldsPrompt(ReceivedRequest request, string markedPrompt) =>
        request.Body?.Contains(markedPrompt, StringComparison.Ordinal) == true;

    private static string? ClientRequestId(ReceivedRequest request) => request.Headers.GetValueOrDefault("X-Client-Request-Id");
}
