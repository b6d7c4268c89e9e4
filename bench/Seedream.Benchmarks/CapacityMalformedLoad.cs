using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Seedream.Benchmarks;

/// <summary>
/// The malformed submissions of issue 15's observation: oversized bodies (9 MB and 50 MB, declared and chunked),
/// 10,000-level nesting, truncated and mistyped JSON, sent to <c>POST /api/generations</c> a few at a time.
/// </summary>
internal static class CapacityMalformedLoad
{
    public const int Concurrency = 8;

    public const string Kinds = "a 9 MB and a 50 MB body with Content-Length, the same two chunked (no length), 10,000-level array and object nesting, truncated JSON, wrong types";

    private static readonly Func<HttpContent>[] s_bodies =
    [
        () => Sized(9 * 1024 * 1024, declared: true),
        () => Sized(50 * 1024 * 1024, declared: true),
        () => Sized(9 * 1024 * 1024, declared: false),
        () => Sized(50 * 1024 * 1024, declared: false),
        () => Json(new string('[', 10_000) + new string(']', 10_000)),
        () => Json(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)),
        () => Json("{\"model\":\"doubao-seedream-4-0-250828\",\"prompt\":\"a lighthouse"),
        () => Json("{\"model\":42,\"prompt\":[],\"size\":{},\"n\":\"many\",\"image\":7}"),
    ];

    /// <summary>Sends <paramref name="requests"/> malformed submissions; returns how many got each status code (0 = connection closed early).</summary>
    public static async Task<IReadOnlyDictionary<int, int>> SendAsync(Uri baseAddress, int requests, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var counts = new ConcurrentDictionary<int, int>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                int status;
                try
                {
                    using var content = s_bodies[index % s_bodies.Length]();
                    using var response = await http.PostAsync(new Uri("api/generations", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
                    status = (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    status = 0; // The server answered early and closed the connection while the body was still being sent.
                }

                counts.AddOrUpdate(status, 1, (_, count) => count + 1);
            }
        })).ConfigureAwait(false);
        return counts;
    }

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A JSON body of the given size (a huge prompt), with or without a declared Content-Length.</summary>
    private static HttpContent Sized(int bytes, bool declared)
    {
        var head = Encoding.UTF8.GetBytes("{\"model\":\"doubao-seedream-4-0-250828\",\"prompt\":\"");
        var tail = Encoding.UTF8.GetBytes("\"}");
        var body = new byte[bytes];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, bytes - head.Length - tail.Length).Fill((byte)'x');
        tail.CopyTo(body, bytes - tail.Length);
        HttpContent content = declared ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A stream that does not know its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
