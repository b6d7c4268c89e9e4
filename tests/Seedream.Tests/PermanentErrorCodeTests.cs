namespace Seedream.Tests;

/// <summary>
/// The error code decides transience before the status: a gateway that relays a permanent failure with a 5xx (new-api
/// answers an unknown model with 503 model_not_found) must not make a job retry for minutes.
/// </summary>
public sealed class PermanentErrorCodeTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task Unknown_model_on_the_gateway_route_is_a_503_that_is_not_transient()
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.GatewayBaseUrl));

        var error = await Assert.ThrowsAsync<SeedreamException>(() =>
            client.GenerateImagesAsync(new ImageGenerationRequest { Model = "seedream-9-0-991231", Prompt = "a kite" }));

        Assert.Equal((503, "model_not_found"), (error.Status, error.ErrorCode));
        Assert.False(error.IsTransient);
        Assert.Contains("GET /models", error.Advice);
    }

    /// <summary>Every row of the contract's table, relayed by a gateway as 502 or 503: only rate limits, overload and internal errors stay transient.</summary>
    [Theory]
    [MemberData(nameof(RelayedRows))]
    public async Task Table_codes_relayed_with_a_5xx_keep_their_own_transience(int tableStatus, string code, int relayedStatus)
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.MaxRateLimitRetries = 0;
        var client = new SeedreamClient(options);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream45,
            Prompt = $"[emulator-fault:error;status={relayedStatus};code={code}]",
        }));

        Assert.Equal((relayedStatus, code), (error.Status, error.ErrorCode));
        Assert.Equal(tableStatus is 429 or 500, error.IsTransient);
    }

    [Theory]
    [InlineData(503, "model_not_found", false)]
    [InlineData(500, "insufficient_user_quota", false)]
    [InlineData(502, "invalid_request", false)]
    [InlineData(503, "pre_consume_token_quota_failed", false)]
    [InlineData(502, "do_request_failed", true)]
    [InlineData(502, "bad_response_status_code", true)]
    [InlineData(503, "some_new_gateway_code", true)]
    [InlineData(400, "some_new_gateway_code", false)]
    public async Task Gateway_codes_are_classified_by_code_then_status(int status, string code, bool transient)
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.GatewayBaseUrl));

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream45,
            Prompt = $"[emulator-fault:gateway-error;status={status};code={code}]",
        }));

        Assert.Equal((status, code), (error.Status, error.ErrorCode));
        Assert.Equal(transient, error.IsTransient);
    }

    public static TheoryData<int, string, int> RelayedRows()
    {
        var rows = new TheoryData<int, string, int>();
        var relayed = 502;
        foreach (var row in ErrorTableTests.Rows)
        {
            rows.Add((int)row[0], (string)row[2], relayed);
            relayed = relayed == 502 ? 503 : 502;
        }

        return rows;
    }
}
