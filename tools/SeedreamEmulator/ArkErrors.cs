namespace SeedreamEmulator;

/// <summary>An error answered with the Ark envelope <c>{"error":{code,message,param,type}}</c> (contract §6).</summary>
internal sealed record ArkError(int Status, string Code, string Message, string Param = "")
{
    public string Type => ArkErrors.TypeForStatus(Status);
}

/// <summary>An error answered with the new-api gateway envelope (contract §6.3).</summary>
internal sealed record GatewayError(int Status, string Code, string Message);

internal static class ArkErrors
{
    private sealed record Row(int Status, string Message);

    // Contract §6.1, without the trailing "Request ID: {id}" (appended per response).
    private static readonly Dictionary<string, Row> Table = new(StringComparer.Ordinal)
    {
        ["MissingParameter"] = new(400, "The request failed because it is missing one or multiple required parameters."),
        ["InvalidParameter"] = new(400, "One or more parameters specified in the request are not valid."),
        ["InvalidImageURL.EmptyURL"] = new(400, "Empty base64 image url."),
        ["InvalidImageURL.InvalidFormat"] = new(400, "Invalid base64 image url."),
        ["InvalidEndpoint.ClosedEndpoint"] = new(400, "The request targeted an endpoint that is currently closed or temporarily unavailable."),
        ["SensitiveContentDetected"] = new(400, "The request failed because the input text may contain sensitive information."),
        ["InputTextSensitiveContentDetected"] = new(400, "The request failed because the input text may contain sensitive information."),
        ["InputImageSensitiveContentDetected"] = new(400, "The request failed because the input image may contain sensitive information."),
        ["OutputImageSensitiveContentDetected"] = new(400, "The request failed because the output image may contain sensitive information."),
        ["AuthenticationError"] = new(401, "The API key or AK/SK in the request is missing or invalid."),
        ["InvalidAccountStatus"] = new(401, "There is an issue with your account status."),
        ["AccountOverdueError"] = new(403, "The request failed because your account has an overdue balance."),
        ["OperationDenied.ServiceOverdue"] = new(403, "Operation is denied because your account balance is overdue."),
        ["OperationDenied.ServiceNotOpen"] = new(403, "Operation is denied because the model service is unavailable, please go to the console activation management page to activate the model service."),
        ["AccessDenied"] = new(403, "The request failed because you do not have access to the requested resource."),
        ["OperationDenied.PermissionDenied"] = new(403, "You are not permitted to access the specified configuration of the FoundationModel."),
        ["InvalidEndpointOrModel.NotFound"] = new(404, "The model or endpoint {model} does not exist or you do not have access to it."),
        ["ModelNotOpen"] = new(404, "Your account 2100000000 has not activated the model {model}. Please activate the model service in the Ark Console."),
        ["InvalidEndpointOrModel.ModelIDAccessDisabled"] = new(404, "Accessing the model via Model ID is not allowed for your account. Please use a custom endpoint ID instead."),
        ["UnsupportedModel"] = new(404, "The {model} model does not support the coding plan feature."),
        ["ModelAccountIpmRateLimitExceeded"] = new(429, "IPM (Images Per Minute) limit of the model is exceeded."),
        ["ModelAccountRpmRateLimitExceeded"] = new(429, "RPM (Requests Per Minute) limit of the model is exceeded."),
        ["RateLimitExceeded.EndpointRPMExceeded"] = new(429, "The Requests Per Minute (RPM) limit of the associated endpoint for your account has been exceeded."),
        ["RateLimitExceeded.EndpointTPMExceeded"] = new(429, "The Tokens Per Minute (TPM) limit of the associated endpoint for your account has been exceeded."),
        ["APIAccountRpmRateLimitExceeded"] = new(429, "The RPM (Requests Per Minute) limit for the API on your account has been exceeded."),
        ["AccountRateLimitExceeded"] = new(429, "Requests are too frequent. Please reduce your request frequency, wait a short moment, and retry your request."),
        ["QuotaExceeded"] = new(429, "The request has exceeded the quota."),
        ["ServerOverloaded"] = new(429, "The service is currently unable to handle additional requests due to server overload. Please retry later."),
        ["RequestBurstTooFast"] = new(429, "System protection triggered by request burst. Please reduce your request rate and retry later."),
        ["SetLimitExceeded"] = new(429, "Your account has reached the set inference limit for the {model} model, and the model service has been paused."),
        ["InflightBatchsizeExceeded"] = new(429, "The Inflight Batchsize limit has been exceeded."),
        ["InternalServiceError"] = new(500, "The service encountered an unexpected internal error. Please retry later."),
    };

    public static string TypeForStatus(int status) => status switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        503 => "ServiceUnavailable",
        _ => "",
    };

    /// <summary>An error from the §6.1 table; <paramref name="status"/> overrides the table's status.</summary>
    public static ArkError FromTable(string code, string requestId, string model = "", int? status = null, string param = "")
    {
        if (Table.TryGetValue(code, out var row))
        {
            return new ArkError(status ?? row.Status, code, WithRequestId(row.Message.Replace("{model}", model, StringComparison.Ordinal), requestId), param);
        }

        return new ArkError(status ?? 400, code, WithRequestId($"The request failed with error {code}.", requestId), param);
    }

    public static ArkError Invalid(string param, string detail, string requestId) =>
        new(400, "InvalidParameter", WithRequestId($"The parameter `{param}` specified in the request is not valid: {detail}", requestId), param);

    public static ArkError Unsupported(string param, string requestId) =>
        Invalid(param, $"the parameter `{param}` is not supported by the current model.", requestId);

    /// <summary>A problem the client's validator found: its messages already use the server's wording (contract §6.2).</summary>
    public static ArkError FromValidation(Seedream.SeedreamValidationError problem, string requestId) =>
        problem.Code == "MissingParameter"
            ? Missing(problem.Param, requestId)
            : new(400, problem.Code, WithRequestId(problem.Message, requestId), problem.Param);

    public static ArkError Missing(string param, string requestId) =>
        FromTable("MissingParameter", requestId, param: param);

    public static ArkError Authentication(string requestId) => FromTable("AuthenticationError", requestId);

    public static ArkError ModelNotFound(string model, string requestId) => FromTable("InvalidEndpointOrModel.NotFound", requestId, model);

    /// <summary>Per-item failure message (data[i].error / partial_failed), without the request id as in the contract's examples.</summary>
    public static string ItemMessage(string code, string requestId) => code == "InternalServiceError"
        ? $"{Table[code].Message} Request ID: {requestId}"
        : Table.TryGetValue(code, out var row) ? row.Message : $"The image failed with error {code}.";

    public static GatewayError Gateway(int status, string code, string model, string requestId)
    {
        var message = code switch
        {
            "model_not_found" => $"No available channel for model {model} under group default (distributor)",
            "insufficient_user_quota" => "user quota is not enough",
            "pre_consume_token_quota_failed" => "pre-consume quota failed: user quota is not enough",
            "invalid_request" => "invalid request",
            "bad_response_status_code" => $"bad response status code {status}",
            "do_request_failed" => "upstream error: do request failed",
            _ => $"gateway error {code}",
        };
        return new GatewayError(status, code, $"{message} (request id: {requestId})");
    }

    private static string WithRequestId(string message, string requestId)
    {
        var separator = message.EndsWith('.') ? " " : ". ";
        return $"{message}{separator}Request id: {requestId}";
    }
}
