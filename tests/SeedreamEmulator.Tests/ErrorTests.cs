using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SeedreamEmulator.Tests;

/// <summary>Authentication, model lookup and request validation answer with the contract's §6 bodies.</summary>
public sealed partial class ErrorTests(EmulatorTestHost host) : IClassFixture<EmulatorTestHost>
{
    private const string Lite = "doubao-seedream-5-0-260128";
    private const string V45 = "doubao-seedream-4-5-251128";
    private const string V30 = "doubao-seedream-3-0-t2i-250415";
    private const string Pro = "doubao-seedream-5-0-pro-260628";

    [GeneratedRegex("^02[0-9]{13}[0-9a-f]{38}$")]
    private static partial Regex RequestIdFormat();

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Missing_or_wrong_key_is_401_before_anything_else(string? key)
    {
        // The body is invalid too: authentication is checked first.
        var request = new HttpRequestMessage(HttpMethod.Post, EmulatorTestHost.ArkRoute) { Content = new StringContent("""{"model":"no-such-model"}""") };
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        using var response = await host.Http.SendAsync(request);

        var error = await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "AuthenticationError", "Unauthorized", "");
        Assert.StartsWith("The API key or AK/SK in the request is missing or invalid.", error.GetProperty("message").GetString());
        Assert.Equal("AuthN_MissOrInvalidAuthorizationHeader", response.Headers.GetValues("x-error-code").Single());
    }

    [Fact]
    public async Task Unknown_model_on_ark_route_is_404_not_found()
    {
        using var response = await host.PostAsync("""{"model":"doubao-seedream-9-9","prompt":"x"}""");

        var error = await AssertErrorAsync(response, HttpStatusCode.NotFound, "InvalidEndpointOrModel.NotFound", "NotFound", "");
        Assert.StartsWith("The model or endpoint doubao-seedream-9-9 does not exist or you do not have access to it.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unknown_model_on_gateway_route_is_503_model_not_found_envelope()
    {
        using var response = await host.PostAsync("""{"model":"doubao-seedream-9-9","prompt":"x"}""", EmulatorTestHost.GatewayRoute);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("new_api_error", error.GetProperty("type").GetString());
        Assert.Equal("", error.GetProperty("param").GetString());
        var requestId = response.Headers.GetValues("x-request-id").Single();
        Assert.Equal($"No available channel for model doubao-seedream-9-9 under group default (distributor) (request id: {requestId})", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Endpoint_id_is_served_as_seedream_4_5_and_echoes_its_name()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, EmulatorTestHost.ArkRoute)
        {
            Content = new StringContent("""{"model":"ep-20260101-abcde","prompt":"a boat"}"""),
        };
        request.Headers.Authorization = new("Bearer", host.Server.ApiKey);
        request.Headers.Add("X-Client-Request-Id", "2026010423202100003FC64FB2BE69FAA8");

        using var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(V45, (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("model").GetString());
        Assert.Matches(RequestIdFormat(), response.Headers.GetValues("x-request-id").Single());
        Assert.Equal("2026010423202100003FC64FB2BE69FAA8", response.Headers.GetValues("X-Client-Request-Id").Single());
    }

    public static TheoryData<string, string, string, string> ValidationCases => new()
    {
        { $$"""{"model":"{{Lite}}"}""", "MissingParameter", "prompt", "The request failed because it is missing one or multiple required parameters." },
        { $$"""{"model":"{{V30}}","prompt":"p","image":"https://example.com/a.png"}""", "InvalidParameter", "image", "The parameter `image` specified in the request is not valid: the parameter `image` is not supported by the current model." },
        { $$"""{"model":"{{V45}}","prompt":"p","size":"1K"}""", "InvalidParameter", "size", "The parameter `size` specified in the request is not valid: the specified size is not supported for model doubao-seedream-4-5." },
        { $$"""{"model":"{{V45}}","prompt":"p","size":"1024x1024"}""", "InvalidParameter", "size", "The parameter `size` specified in the request is not valid: image size must be at least 3686400 pixels" },
        { $$"""{"model":"{{Lite}}","prompt":"p","size":"1K"}""", "InvalidParameter", "size", "The parameter `size` specified in the request is not valid: size must be one of 'WIDTHxHEIGHT', '2k', '3k', or '4k'." },
        { $$"""{"model":"{{Lite}}","prompt":"p","size":"8320x448"}""", "InvalidParameter", "size", "The parameter `size` specified in the request is not valid: the aspect ratio (width/height) must be between 1/16 and 16" },
        { $$"""{"model":"{{Lite}}","prompt":"p","image":[{{string.Join(",", Enumerable.Repeat("\"https://example.com/r.png\"", 15))}}]}""", "InvalidParameter", "image", "The parameter `image` specified in the request is not valid: number of reference images cannot exceed 14." },
        { $$"""{"model":"{{Pro}}","prompt":"p","image":[{{string.Join(",", Enumerable.Repeat("\"https://example.com/r.png\"", 11))}}]}""", "InvalidParameter", "image", "The parameter `image` specified in the request is not valid: number of reference images cannot exceed 10." },
        { $$"""{"model":"{{Lite}}","prompt":"p","image":"data:image/PNG;base64,iVBORw0KGgo="}""", "InvalidParameter", "image", "The parameter `image` specified in the request is not valid: Image 0 failed: the image format `image/PNG` in the data URI must be lowercase, e.g. data:image/png;base64,<data>." },
        { $$"""{"model":"{{Lite}}","prompt":"p","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":0} }""", "InvalidParameter", "sequential_image_generation_options.max_images", "The parameter `sequential_image_generation_options.max_images` specified in the request is not valid: max_images must be between 1 and 15." },
        { $$"""{"model":"{{Lite}}","prompt":"p","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":16} }""", "InvalidParameter", "sequential_image_generation_options.max_images", "The parameter `sequential_image_generation_options.max_images` specified in the request is not valid: max_images must be between 1 and 15." },
        { $$"""{"model":"{{Lite}}","prompt":"p","output_format":"webp"}""", "InvalidParameter", "output_format", "The parameter `output_format` specified in the request is not valid: output_format must be one of: jpeg, png" },
        { $$"""{"model":"{{Lite}}","prompt":"p","optimize_prompt_options":{"mode":"fast"} }""", "InvalidParameter", "optimize_prompt_options.mode", "The parameter `optimize_prompt_options.mode` specified in the request is not valid: optimize_prompt_options.mode must be 'standard'" },
        { $$"""{"model":"{{Pro}}","prompt":"p","stream":true}""", "InvalidParameter", "stream", "The parameter `stream` specified in the request is not valid: the parameter `stream` is not supported by the current model." },
        { $$"""{"model":"{{Pro}}","prompt":"p","sequential_image_generation":"auto"}""", "InvalidParameter", "sequential_image_generation", "The parameter `sequential_image_generation` specified in the request is not valid: the parameter `sequential_image_generation` is not supported by the current model." },
        { $$"""{"model":"{{V45}}","prompt":"p","tools":[{"type":"web_search"}]}""", "InvalidParameter", "tools", "The parameter `tools` specified in the request is not valid: the parameter `tools` is not supported by the current model." },
        { $$"""{"model":"{{Lite}}","prompt":"p","response_format":"binary"}""", "InvalidParameter", "response_format", "The parameter `response_format` specified in the request is not valid: response_format must be one of: url, b64_json" },
        { $$"""{"model":"{{V30}}","prompt":"p","guidance_scale":11}""", "InvalidParameter", "guidance_scale", "The parameter `guidance_scale` specified in the request is not valid: guidance_scale must be between 1 and 10." },
        { $$"""{"model":"{{V30}}","prompt":"p","seed":-2}""", "InvalidParameter", "seed", "The parameter `seed` specified in the request is not valid: seed must be an integer between -1 and 2147483647." },
        { $$"""{"model":"{{V30}}","prompt":"p","size":"4096x4096"}""", "InvalidParameter", "size", "The parameter `size` specified in the request is not valid: image size must be at most 4194304 pixels" },
        { """{"model":"doubao-seededit-3-0-i2i-250628","prompt":"p"}""", "MissingParameter", "image", "The request failed because it is missing one or multiple required parameters." },
    };

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public async Task Invalid_request_is_400_with_the_contract_message(string body, string code, string param, string message)
    {
        using var response = await host.PostAsync(body);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, code, "BadRequest", param);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var expected = message.EndsWith('.') ? $"{message} Request id: {requestId}" : $"{message}. Request id: {requestId}";
        Assert.Equal(expected, error.GetProperty("message").GetString());
    }

    /// <summary>
    /// The emulator reads the client's capability table and validator: whatever the client refuses before a call, the
    /// emulator refuses too, naming one of the same fields, so a parameter added to the client needs no emulator edit.
    /// </summary>
    [Theory]
    [MemberData(nameof(ValidationCases))]
    [MemberData(nameof(ClientOnlyCases))]
    public async Task The_emulator_refuses_what_the_client_s_validator_refuses(string body, string code, string param, string message)
    {
        _ = message;
        var clientProblems = ClientProblems(body);
        Assert.NotEmpty(clientProblems);
        Assert.Contains(param, clientProblems);

        using var response = await host.PostAsync(body);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, code, "BadRequest", param);
        Assert.Contains(error.GetProperty("param").GetString(), clientProblems);
    }

    /// <summary>Rules no earlier step of the emulator answers: the client's validator does (a field of the wrong type).</summary>
    public static TheoryData<string, string, string, string> ClientOnlyCases => new()
    {
        { $$"""{"model":"{{V45}}","prompt":"p","seed":"forty-two"}""", "InvalidParameter", "seed", "" },
        { $$"""{"model":"seedream-4.5","prompt":"p","tools":"web_search"}""", "InvalidParameter", "tools", "" },
    };

    private static List<string> ClientProblems(string body)
    {
        try
        {
            var request = Seedream.ImageGenerationRequest.FromJson(body);
            request.Model = Seedream.SeedreamModelCapabilities.Find(request.Model) is null ? V45 : request.Model; // gateway alias of 4.5
            return [.. Seedream.ImageGenerationRequestValidator.Validate(request).Select(problem => problem.Param.Split('[')[0])];
        }
        catch (Seedream.SeedreamException exception)
        {
            return [.. exception.ValidationErrors.Select(problem => problem.Param.TrimStart('$', '.'))];
        }
    }

    [Fact]
    public async Task Invalid_stream_request_gets_plain_json_not_sse()
    {
        using var response = await host.PostAsync($$"""{"model":"{{Lite}}","prompt":"p","stream":true,"size":"1K"}""");

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "InvalidParameter", "BadRequest", "size");
    }

    [Fact]
    public async Task Data_uri_with_invalid_base64_is_invalid_image_url()
    {
        using var response = await host.PostAsync($$"""{"model":"{{Lite}}","prompt":"p","image":"data:image/png;base64,@@not-base64@@"}""");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "InvalidImageURL.InvalidFormat", "BadRequest", "image");
    }

    private static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string type, string param)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        var requestId = response.Headers.GetValues("x-request-id").Single();
        Assert.Matches(RequestIdFormat(), requestId);
        Assert.EndsWith($"Request id: {requestId}", error.GetProperty("message").GetString());
        return error;
    }
}
