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
        Assert.True(newApi.IsTransient);

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
        var huge = Encoding.UTF8.GetBytes("<html><title>oops</title>" + new string('x', 5_000_000) + "</html>");
        await using var server = await CannedHttpServer.StartAsync(502, "text/html", huge, chunkSize: 64 * 1024);
        var client = new SeedreamClient(TestSupport.Options(new Uri(server.BaseAddress, "api/v3/")));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest { Model = "ep-1", Prompt = "p" }));

        Assert.Equal(502, error.Status);
        Assert.Contains("oops", error.Message);
        Assert.False(error.IsTransient is false);
        Assert.True(error.MayHaveReachedServer);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 2_000_000);
    }
}
