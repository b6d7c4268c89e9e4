namespace Seedream.Http;

/// <summary>The provider's and the gateways' error codes, sorted by whether repeating the request can help.</summary>
internal static class ErrorCodes
{
    // Contract §6.1 rows whose meaning is "this request, key, account or model is wrong" (400/401/403/404 there), and
    // the new-api family's equivalents (§6.3). Matched as a prefix up to a dot, so InvalidParameter.size and
    // InputImageSensitiveContentDetected.PrivacyInformation are covered by their families.
    private static readonly string[] PermanentFamilies =
    [
        "MissingParameter", "InvalidParameter", "InvalidImageURL", "InvalidEndpoint", "InvalidEndpointOrModel",
        "SensitiveContentDetected", "InputTextSensitiveContentDetected", "InputImageSensitiveContentDetected",
        "OutputImageSensitiveContentDetected", "InputTextRiskDetection", "InputImageRiskDetection", "OutputTextRiskDetection",
        "OutputImageRiskDetection", "ContentSecurityDetectionError", "AuthenticationError", "InvalidAccountStatus",
        "AccountOverdueError", "OperationDenied", "AccessDenied", "ModelNotOpen", "UnsupportedModel",
        "model_not_found", "insufficient_user_quota", "pre_consume_token_quota_failed", "invalid_request",
        "invalid_request_error", "invalid_api_key", "bad_request", "invalid_parameters",
        // Client-side: the result content or the download target is wrong, not the moment.
        SeedreamException.InvalidImageContentCode, SeedreamException.ImageTooLargeCode, SeedreamException.DownloadBlockedCode,
    ];

    // Contract §6.1's 429 and 500 rows: the same request can succeed later.
    private static readonly string[] TransientFamilies =
    [
        "ModelAccountIpmRateLimitExceeded", "ModelAccountRpmRateLimitExceeded", "RateLimitExceeded",
        "APIAccountRpmRateLimitExceeded", "AccountRateLimitExceeded", "QuotaExceeded", "ServerOverloaded",
        "RequestBurstTooFast", "SetLimitExceeded", "InflightBatchsizeExceeded", "InternalServiceError",
    ];

    /// <summary>False for a permanent code, true for a transient one, null when the code says nothing (use the status).</summary>
    public static bool? Classify(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return null;
        }

        if (Matches(PermanentFamilies, code))
        {
            return false;
        }

        return Matches(TransientFamilies, code) ? true : null;
    }

    private static bool Matches(string[] families, string code)
    {
        foreach (var family in families)
        {
            if (code.StartsWith(family, StringComparison.OrdinalIgnoreCase)
                && (code.Length == family.Length || code[family.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }
}
