using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SeedreamEmulator.Tests;

/// <summary>Every fault of the grammar (README.md), chosen per request, queued, or in the prompt.</summary>
public sealed class FaultTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    private const string Single = """{"model":"doubao-seedream-4-0-250828","prompt":"a kite","size":"1K"}""";
    private const string SingleInline = """{"model":"doubao-seedream-4-0-250828","prompt":"a kite","size":"1K","response_format":"b64_json"}""";
    private const string Group = """{"model":"doubao-seedream-4-0-250828","prompt":"3 images of a kite","size":"1K","sequential_image_generation":"auto"}""";
    private const string GroupInline = """{"model":"doubao-seedream-4-0-250828","prompt":"3 images of a kite","size":"1K","sequential_image_generation":"auto","response_format":"b64_json"}""";

    [Fact]
    public async Task Rate_limit_is_429_with_retry_after()
    {
        using var response = await host.PostAsync(Single, fault: "rate-limit;retry-after=7");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("ModelAccountIpmRateLimitExceeded", error.GetProperty("code").GetString());
        Assert.Equal("TooManyRequests", error.GetProperty("type").GetString());
        Assert.StartsWith("IPM (Images Per Minute) limit of the model is exceeded.", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("error;status=403;code=AccountOverdueError", 403, "AccountOverdueError", "Forbidden", "The request failed because your account has an overdue balance.")]
    [InlineData("error;status=404;code=ModelNotOpen", 404, "ModelNotOpen", "NotFound", "Your account 2100000000 has not activated the model doubao-seedream-4-0-250828.")]
    [InlineData("error;status=429;code=ServerOverloaded", 429, "ServerOverloaded", "TooManyRequests", "The service is currently unable to handle additional requests")]
    [InlineData("error;status=400;code=InputTextSensitiveContentDetected", 400, "InputTextSensitiveContentDetected", "BadRequest", "The request failed because the input text may contain sensitive information.")]
    [InlineData("error;status=418;code=Teapot", 418, "Teapot", "", "The request failed with error Teapot.")]
    [InlineData("internal-error", 500, "InternalServiceError", "InternalServerError", "The service encountered an unexpected internal error. Please retry later.")]
    public async Task Error_faults_answer_with_the_table_row(string fault, int status, string code, string type, string messageStart)
    {
        using var response = await host.PostAsync(Single, fault: fault);

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.StartsWith(messageStart, error.GetProperty("message").GetString());
        Assert.EndsWith($"Request id: {response.Headers.GetValues("x-request-id").Single()}", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Gateway_error_uses_the_new_api_envelope()
    {
        using var response = await host.PostAsync(Single, EmulatorTestHost.GatewayRoute, fault: "gateway-error;status=403;code=insufficient_user_quota");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("insufficient_user_quota", error.GetProperty("code").GetString());
        Assert.Equal("new_api_error", error.GetProperty("type").GetString());
        Assert.EndsWith($"(request id: {response.Headers.GetValues("x-request-id").Single()})", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Reset_aborts_the_connection_without_a_response()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => host.PostAsync(Single, fault: "reset"));

        var logged = host.Server.Requests.Last(request => request.Fault == "reset");
        Assert.Equal(0, logged.ResponseStatus);
        Assert.Contains("a kite", logged.Body);
    }

    [Fact]
    public async Task Slow_headers_holds_the_response_back()
    {
        var stopwatch = Stopwatch.StartNew();
        using var response = await host.PostAsync(Single, fault: "slow-headers;delay-ms=200", completion: HttpCompletionOption.ResponseHeadersRead);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(190), $"headers after {stopwatch.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Truncate_sends_200_then_exactly_n_bytes_then_aborts()
    {
        using var response = await host.PostAsync(SingleInline, fault: "truncate;after-bytes=100", completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var body = await response.Content.ReadAsStreamAsync();
        var received = 0;
        var buffer = new byte[4096];
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });
        Assert.Equal(100, received);
    }

    [Fact]
    public async Task Corrupt_base64_spoils_only_the_chosen_item()
    {
        using var response = await host.PostAsync(GroupInline, fault: "corrupt-base64;index=1");

        var data = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        Assert.True(ImageAssert.IsPngOrJpeg(data[0].GetProperty("b64_json").GetBytesFromBase64()));
        Assert.False(data[1].GetProperty("b64_json").TryGetBytesFromBase64(out _));
        Assert.True(ImageAssert.IsPngOrJpeg(data[2].GetProperty("b64_json").GetBytesFromBase64()));
    }

    [Fact]
    public async Task Moderation_in_group_mode_fails_items_and_continues()
    {
        using var response = await host.PostAsync(Group, fault: "moderation;indexes=0,2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await EmulatorTestHost.ReadJsonAsync(response);
        var data = body.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        Assert.Equal("OutputImageSensitiveContentDetected", data[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("The request failed because the output image may contain sensitive information.", data[0].GetProperty("error").GetProperty("message").GetString());
        Assert.True(data[1].TryGetProperty("url", out _));
        Assert.Equal("OutputImageSensitiveContentDetected", data[2].GetProperty("error").GetProperty("code").GetString());
        ImageAssert.UsageMatches(body.GetProperty("usage"), [ImageAssert.Size(data[1])]);
    }

    [Fact]
    public async Task Moderation_in_single_image_mode_is_a_top_level_400()
    {
        using var response = await host.PostAsync(Single, fault: "moderation;indexes=0");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("OutputImageSensitiveContentDetected", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Internal_error_at_an_index_stops_the_group_there()
    {
        using var response = await host.PostAsync(Group, fault: "internal-error-at;index=1");

        var body = await EmulatorTestHost.ReadJsonAsync(response);
        var data = body.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.True(data[0].TryGetProperty("url", out _));
        var error = data[1].GetProperty("error");
        Assert.Equal("InternalServiceError", error.GetProperty("code").GetString());
        Assert.StartsWith("The service encountered an unexpected internal error.", error.GetProperty("message").GetString());
        ImageAssert.UsageMatches(body.GetProperty("usage"), [ImageAssert.Size(data[0])]);
    }

    [Fact]
    public async Task Stream_reports_moderation_and_internal_errors_as_partial_failed()
    {
        var request = Group.Replace("\"sequential_image_generation\"", "\"stream\":true,\"sequential_image_generation\"");
        using var response = await host.PostAsync(request.Replace("3 images", "4 images"), fault: "internal-error-at;index=2");

        var events = ServerSentEvents.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            ["image_generation.partial_succeeded", "image_generation.partial_succeeded", "image_generation.partial_failed", "image_generation.completed", null],
            events.Select(item => item.Event));
        var failed = JsonDocument.Parse(events[2].Data).RootElement;
        Assert.Equal(2, failed.GetProperty("image_index").GetInt32());
        Assert.Equal("InternalServiceError", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(2, JsonDocument.Parse(events[3].Data).RootElement.GetProperty("usage").GetProperty("generated_images").GetInt32());

        using var moderated = await host.PostAsync(request, fault: "moderation;indexes=1");
        var moderatedEvents = ServerSentEvents.Parse(await moderated.Content.ReadAsStringAsync());
        Assert.Equal("image_generation.partial_failed", moderatedEvents[1].Event);
        Assert.Equal("image_generation.partial_succeeded", moderatedEvents[2].Event);
        Assert.Equal(2, JsonDocument.Parse(moderatedEvents[2].Data).RootElement.GetProperty("image_index").GetInt32());
    }

    [Fact]
    public async Task Expired_urls_download_as_403_access_denied()
    {
        using var response = await host.PostAsync(Single, fault: "expired-urls");
        var url = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("data")[0].GetProperty("url").GetString();

        using var download = await host.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.Forbidden, download.StatusCode);
        Assert.Equal("""{"Code":"AccessDenied","Message":"Access Denied","EC":"0003-00000015"}""", await download.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Not_an_image_replaces_the_content_of_one_item()
    {
        using var urlResponse = await host.PostAsync(Group, fault: "not-an-image;index=1");
        var data = (await EmulatorTestHost.ReadJsonAsync(urlResponse)).GetProperty("data");
        Assert.True(ImageAssert.IsPngOrJpeg(await host.Http.GetByteArrayAsync(data[0].GetProperty("url").GetString())));
        Assert.False(ImageAssert.IsPngOrJpeg(await host.Http.GetByteArrayAsync(data[1].GetProperty("url").GetString())));

        using var inlineResponse = await host.PostAsync(SingleInline, fault: "not-an-image;index=0");
        var inline = (await EmulatorTestHost.ReadJsonAsync(inlineResponse)).GetProperty("data")[0].GetProperty("b64_json").GetBytesFromBase64();
        Assert.False(ImageAssert.IsPngOrJpeg(inline));
    }

    [Fact]
    public async Task Queued_faults_hit_the_next_n_requests_then_stop()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);
        server.Faults.Enqueue("internal-error", count: 2);

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var response = await EmulatorTestHost.PostAsync(http, server, Single);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.OK], statuses);
        Assert.Equal(["internal-error", "internal-error", null], server.Requests.Select(request => request.Fault));
    }

    [Fact]
    public async Task Control_plane_queues_and_clears_faults()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);

        using (var queued = await http.PostAsJsonAsync("_emulator/faults", new { fault = "rate-limit;retry-after=3", count = 5 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, queued.StatusCode);
        }

        using (var limited = await EmulatorTestHost.PostAsync(http, server, Single))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        }

        using (var cleared = await http.DeleteAsync("_emulator/faults"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }

        using (var normal = await EmulatorTestHost.PostAsync(http, server, Single))
        {
            Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        }

        using var rejected = await http.PostAsJsonAsync("_emulator/faults", new { fault = "no-such-fault" });
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
    }

    [Theory]
    [InlineData("no-such-fault")]
    [InlineData("moderation;indexes=1,x")]
    [InlineData("truncate;after-bytes=many")]
    public async Task Malformed_fault_header_is_rejected_as_400(string fault)
    {
        using var response = await host.PostAsync(Single, fault: fault);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("X-Emulator-Fault", (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error").GetProperty("param").GetString());
        Assert.Throws<FormatException>(() => host.Server.Faults.Enqueue(fault));
    }

    [Fact]
    public async Task Fault_in_the_prompt_targets_one_request()
    {
        using var response = await host.PostAsync(Single.Replace("a kite", "a kite [emulator-fault:error;status=403;code=AccessDenied]"));
        using var next = await host.PostAsync(Single);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
