namespace Seedream.Tests;

/// <summary>Every row of the contract's error table (§6.1) reaches the caller as a typed exception.</summary>
public sealed class ErrorTableTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    public static TheoryData<int, string, string> Rows => new()
    {
        { 400, "BadRequest", "MissingParameter" },
        { 400, "BadRequest", "MissingParameter.prompt" },
        { 400, "BadRequest", "InvalidParameter" },
        { 400, "BadRequest", "InvalidParameter.size" },
        { 400, "BadRequest", "InvalidParameter.UnsupportedParameter" },
        { 400, "BadRequest", "InvalidImageURL.EmptyURL" },
        { 400, "BadRequest", "InvalidImageURL.InvalidFormat" },
        { 400, "BadRequest", "InvalidEndpoint.ClosedEndpoint" },
        { 400, "BadRequest", "SensitiveContentDetected" },
        { 400, "BadRequest", "SensitiveContentDetected.SevereViolation" },
        { 400, "BadRequest", "SensitiveContentDetected.Violence" },
        { 400, "BadRequest", "InputTextSensitiveContentDetected" },
        { 400, "BadRequest", "InputImageSensitiveContentDetected" },
        { 400, "BadRequest", "OutputImageSensitiveContentDetected" },
        { 400, "BadRequest", "InputTextSensitiveContentDetected.PolicyViolation" },
        { 400, "BadRequest", "InputImageSensitiveContentDetected.PolicyViolation" },
        { 400, "BadRequest", "InputImageSensitiveContentDetected.PrivacyInformation" },
        { 400, "BadRequest", "OutputImageSensitiveContentDetected.DeepFake" },
        { 400, "BadRequest", "InputTextRiskDetection" },
        { 400, "BadRequest", "OutputImageRiskDetection" },
        { 400, "BadRequest", "ContentSecurityDetectionError" },
        { 401, "Unauthorized", "AuthenticationError" },
        { 401, "Unauthorized", "InvalidAccountStatus" },
        { 403, "Forbidden", "AccountOverdueError" },
        { 403, "Forbidden", "OperationDenied.ServiceOverdue" },
        { 403, "Forbidden", "OperationDenied.ServiceNotOpen" },
        { 403, "Forbidden", "AccessDenied" },
        { 403, "Forbidden", "OperationDenied.PermissionDenied" },
        { 404, "NotFound", "InvalidEndpointOrModel.NotFound" },
        { 404, "NotFound", "ModelNotOpen" },
        { 404, "NotFound", "InvalidEndpointOrModel.ModelIDAccessDisabled" },
        { 404, "NotFound", "UnsupportedModel" },
        { 429, "TooManyRequests", "ModelAccountIpmRateLimitExceeded" },
        { 429, "TooManyRequests", "ModelAccountRpmRateLimitExceeded" },
        { 429, "TooManyRequests", "RateLimitExceeded.EndpointRPMExceeded" },
        { 429, "TooManyRequests", "RateLimitExceeded.EndpointTPMExceeded" },
        { 429, "TooManyRequests", "APIAccountRpmRateLimitExceeded" },
        { 429, "TooManyRequests", "AccountRateLimitExceeded" },
        { 429, "TooManyRequests", "QuotaExceeded" },
        { 429, "TooManyRequests", "ServerOverloaded" },
        { 429, "TooManyRequests", "RequestBurstTooFast" },
        { 429, "TooManyRequests", "SetLimitExceeded" },
        { 429, "TooManyRequests", "InflightBatchsizeExceeded" },
        { 500, "InternalServerError", "InternalServiceError" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task TableRowBecomesATypedException(int status, string type, string code)
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.MaxRateLimitRetries = 0;
        var client = new SeedreamClient(options);
        var request = new ImageGenerationRequest
        {
            Model = SeedreamModels.Seedream45,
            Prompt = $"a lighthouse [emulator-fault:error;status={status};code={code}]",
        };

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(request));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(type, error.ErrorType);
        Assert.StartsWith("02", error.RequestId);
        Assert.True(error.MayHaveReachedServer);
        Assert.Equal(status is 429 or 500, error.IsTransient);
        if (status is 401 or 403 or 404)
        {
            Assert.NotNull(error.Advice);
            Assert.Contains(error.Advice!, error.Message);
        }

        Assert.Contains(code, error.Message);
        Assert.DoesNotContain(TestSupport.ApiKey, error.ToString());
    }

    [Fact]
    public async Task AdviceNamesWhatToCheck()
    {
        var client = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));
        async Task<SeedreamException> Fail(string spec) => await Assert.ThrowsAsync<SeedreamException>(() =>
            client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = $"[emulator-fault:{spec}]" }));

        Assert.Contains("Authorization: Bearer", (await Fail("error;code=AuthenticationError")).Advice);
        Assert.Contains("balance", (await Fail("error;code=AccountOverdueError")).Advice);
        Assert.Contains("GET /models", (await Fail("error;code=InvalidEndpointOrModel.NotFound")).Advice);
        Assert.Contains("output_format", (await Fail("error;code=InvalidParameter")).Advice);
    }

    [Fact]
    public async Task GatewayEnvelopeAndUnknownModels()
    {
        var gateway = new SeedreamClient(TestSupport.Options(emulator.Server.GatewayBaseUrl));
        var ark = new SeedreamClient(TestSupport.Options(emulator.Server.ArkBaseUrl));

        var faulted = await Assert.ThrowsAsync<SeedreamException>(() => gateway.GenerateImagesAsync(
            new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "[emulator-fault:gateway-error;status=503;code=model_not_found]" }));
        Assert.Equal(503, faulted.Status);
        Assert.Equal("model_not_found", faulted.ErrorCode);
        Assert.Equal("new_api_error", faulted.ErrorType);
        Assert.Contains("GET /models", faulted.Advice);

        var unknownOnGateway = await Assert.ThrowsAsync<SeedreamException>(() => gateway.GenerateImagesAsync(new ImageGenerationRequest { Model = "seedream-9", Prompt = "p" }));
        Assert.Equal((503, "model_not_found"), (unknownOnGateway.Status, unknownOnGateway.ErrorCode));

        var unknownOnArk = await Assert.ThrowsAsync<SeedreamException>(() => ark.GenerateImagesAsync(new ImageGenerationRequest { Model = "doubao-seedream-9-0-990101", Prompt = "p" }));
        Assert.Equal((404, "InvalidEndpointOrModel.NotFound"), (unknownOnArk.Status, unknownOnArk.ErrorCode));
        Assert.False(unknownOnArk.IsTransient);
    }

    [Fact]
    public async Task WrongKeyIs401WithoutTheKeyInTheMessage()
    {
        var options = TestSupport.Options(emulator.Server.ArkBaseUrl);
        options.ApiKey = "wrong-key-1234567";
        var client = new SeedreamClient(options);

        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "p" }));

        Assert.Equal(401, error.Status);
        Assert.Equal("AuthenticationError", error.ErrorCode);
        Assert.DoesNotContain("wrong-key-1234567", error.ToString());
    }
}
