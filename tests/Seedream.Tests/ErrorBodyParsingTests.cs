using System.Text;
using Seedream.Http;

namespace Seedream.Tests;

public sealed class ErrorBodyParsingTests
{
    private static SeedreamException Parse(int status, string body, string? requestIdHeader = null) =>
        SeedreamErrorParser.Parse(status, null, Encoding.UTF8.GetBytes(body), requestIdHeader, TestSupport.ApiKey, mayHaveReachedServer: true, "Test");

    [Fact]
    public void ArkEnvelope()
    {
        var error = Parse(400, """{"error":{"code":"InvalidParameter","message":"The parameter `size` specified in the request is not valid: image size must be at least 3686400 pixels. Request id: 0217654321000000000000000000000000000000000000000000","param":"size","type":"BadRequest"}}""");

        Assert.Equal(400, error.Status);
        Assert.Equal("InvalidParameter", error.ErrorCode);
        Assert.Equal("size", error.Param);
        Assert.Equal("BadRequest", error.ErrorType);
        Assert.Equal("0217654321000000000000000000000000000000000000000000", error.RequestId);
        Assert.False(error.IsTransient);
        Assert.Contains("response_format", error.Advice);
        Assert.Contains("image size must be at least 3686400 pixels", error.Message);
    }

    [Fact]
    public void GatewayEnvelopes()
    {
        var newApi = Parse(503, """{"error":{"message":"No available channel for model doubao-seedream-4-5-251128 under group default (distributor) (request id: 20260105123456789012345678)","type":"new_api_error","param":"","code":"model_not_found"}}""");
        Assert.Equal("model_not_found", newApi.ErrorCode);
        Assert.Equal("new_api_error", newApi.ErrorType);
        Assert.Null(newApi.Param);
        Assert.Equal("20260105123456789012345678", newApi.RequestId);
        Assert.Contains("GET /models", newApi.Advice);
        Assert.False(newApi.IsTransient); // permanent whatever the status: retrying an unknown model cannot help

        var numericCode = Parse(403, """{"error":{"message":"quota","type":"upstream_error","code":1234}}""");
        Assert.Equal("1234", numericCode.ErrorCode);
        Assert.Contains("balance", numericCode.Advice);

        var vercel = Parse(404, """{"error":{"message":"Not Found","statusCode":404},"other":1}""");
        Assert.Null(vercel.ErrorCode);
        Assert.Contains("Not Found", vercel.Message);
        Assert.Contains("model id", vercel.Advice);

        var flat = Parse(401, """{"code":"AuthenticationError","message":"bad key","param":"","type":""}""");
        Assert.Equal("AuthenticationError", flat.ErrorCode);
        Assert.Contains("Authorization: Bearer", flat.Advice);

        var tos = Parse(403, """{"Code":"AccessDenied","Message":"Access Denied","EC":"0003-00000015"}""");
        Assert.Equal("AccessDenied", tos.ErrorCode);
    }

    [Fact]
    public void HtmlAndEmptyBodiesFromLoadBalancers()
    {
        var html = Parse(502, "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>", "req-1");
        Assert.Null(html.ErrorCode);
        Assert.Equal("req-1", html.RequestId);
        Assert.Contains("502 Bad Gateway", html.Message);
        Assert.True(html.IsTransient);

        var empty = Parse(504, "");
        Assert.Contains("HTTP 504", empty.Message);
    }

    [Fact]
    public void EchoedKeyIsRedacted()
    {
        var error = Parse(401, $$$"""{"error":{"code":"AuthenticationError","message":"key {{{TestSupport.ApiKey}}} is invalid"}}""");

        Assert.DoesNotContain(TestSupport.ApiKey, error.Message);
        Assert.DoesNotContain(TestSupport.ApiKey, error.ToString());
    }

    [Fact]
    public async Task ErrorBodiesAreReadWithACap()
    {
        // A 64 MB error page: the client must stop after the cap instead of reading (or buffering) all of it.
        var chunk = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));
        await using var server = await CannedHttpServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 502;
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync("<html><title>oops</title>"u8.ToArray());
            for (var written = 0; written < 1024 && !context.RequestAborted.IsCancellationRequested; written++)
            {
                await context.Response.Body.WriteAsync(chunk);
            }
        });
        long received = 0;
        var countingHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (connection, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(connection.DnsEndPoint, cancellationToken);
                return new CountingStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), count => Interlocked.Add(ref received, count));
            },
        };
        var options = TestSupport.Options(new Uri(server.BaseAddress, "api/v3/"));
        using var apiClient = new HttpClient(countingHandler);
        using var downloadClient = new HttpClient();
        var client = new SeedreamClient(apiClient, downloadClient, options);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest { Model = "ep-1", Prompt = "p" }));

        Assert.Equal(502, error.Status);
        Assert.Contains("oops", error.Message);
        Assert.True(error.IsTransient);
        Assert.True(error.MayHaveReachedServer);
        Assert.InRange(Interlocked.Read(ref received), SeedreamErrorParser.MaxErrorBodyBytes, 4 * 1024 * 1024);
    }

    private sealed class CountingStream(Stream inner, Action<int> onRead) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            onRead(read);
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            onRead(read);
            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
