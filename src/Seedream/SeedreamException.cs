using System.Text;

namespace Seedream;

/// <summary>
/// Every failure of the Seedream client: API errors (both the Ark and the OpenAI-gateway envelope), network failures,
/// client-side validation and result-content checks. Never contains the API key.
/// </summary>
public class SeedreamException : Exception
{
    /// <summary>Code for a result whose bytes are not a PNG/JPEG image (or not valid base64).</summary>
    public const string InvalidImageContentCode = "InvalidImageContent";

    /// <summary>Code for a result image larger than <see cref="SeedreamDownloadPolicy.MaxImageBytes"/>.</summary>
    public const string ImageTooLargeCode = "ImageTooLarge";

    /// <summary>Code for a response body that ended (or was cut) before it was complete.</summary>
    public const string ResponseTruncatedCode = "ResponseTruncated";

    /// <summary>Code for a response body that is not the JSON or SSE the contract describes.</summary>
    public const string InvalidResponseCode = "InvalidResponse";

    /// <summary>Code for a download refused by the download policy (private address, http, redirect).</summary>
    public const string DownloadBlockedCode = "DownloadBlocked";

    /// <summary>Code for a request or download that ran past its configured timeout.</summary>
    public const string TimeoutCode = "Timeout";

    /// <summary>Code for a network failure without an HTTP response.</summary>
    public const string NetworkErrorCode = "NetworkError";

    /// <summary>Creates an exception; the client and <see cref="SeedreamModelFactory.SeedreamException"/> fill it.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="status">HTTP status; 0 when there was no response.</param>
    /// <param name="errorCode">The provider's, a gateway's or the client's code.</param>
    /// <param name="param">The parameter at fault.</param>
    /// <param name="errorType">The error type.</param>
    /// <param name="requestId">The server request id.</param>
    /// <param name="isTransient">Whether a later retry may succeed; null decides from the code, then the status.</param>
    /// <param name="mayHaveReachedServer">Whether the request may have been billed.</param>
    /// <param name="validationErrors">Client-side validation failures.</param>
    /// <param name="innerException">The cause.</param>
    public SeedreamException(
        string message,
        int status = 0,
        string? errorCode = null,
        string? param = null,
        string? errorType = null,
        string? requestId = null,
        bool? isTransient = null,
        bool mayHaveReachedServer = false,
        IReadOnlyList<SeedreamValidationError>? validationErrors = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
        Param = param;
        ErrorType = errorType;
        RequestId = requestId;
        ValidationErrors = validationErrors ?? [];
        Advice = AdviceFor(status, errorCode);
        IsTransient = isTransient ?? IsTransientAnswer(status, errorCode);
        MayHaveReachedServer = mayHaveReachedServer;
    }

    /// <summary>For mocking frameworks.</summary>
    protected SeedreamException()
    {
        ValidationErrors = [];
    }

    /// <summary>HTTP status; 0 when there was no response (network failure, validation, timeout).</summary>
    public int Status { get; }

    /// <summary>Seedream or gateway error code, e.g. <c>InvalidParameter</c>, <c>model_not_found</c>, <c>InvalidImageContent</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The parameter at fault, e.g. <c>size</c> or <c>image</c>, when the answer names one.</summary>
    public string? Param { get; }

    /// <summary>Error type, e.g. <c>BadRequest</c> (Ark) or <c>new_api_error</c> (gateway).</summary>
    public string? ErrorType { get; }

    /// <summary>Server request id: the <c>x-request-id</c> header, else the id quoted in the message.</summary>
    public string? RequestId { get; }

    /// <summary>What to check, for the status or code (401 key and header, 403 balance/quota/permission, 404 model id, 400 parameter).</summary>
    public string? Advice { get; }

    /// <summary>
    /// Whether a later retry may succeed: decided by <see cref="ErrorCode"/> first (the contract's permanent codes such as
    /// <c>InvalidParameter</c> or a gateway's <c>model_not_found</c> are permanent whatever the status; rate limits and
    /// internal errors are transient), then by the status (408, 429, 5xx and network failures are transient).
    /// </summary>
    public bool IsTransient { get; }

    /// <summary>True once the POST may have reached the server (it may be billed): never repeat it automatically.</summary>
    public bool MayHaveReachedServer { get; }

    /// <summary>The client-side validation failures (status 400, no call made); empty otherwise.</summary>
    public IReadOnlyList<SeedreamValidationError> ValidationErrors { get; }

    internal static SeedreamException ForValidation(IReadOnlyList<SeedreamValidationError> errors)
    {
        var first = errors[0];
        var message = new StringBuilder("The request is not valid for the Seedream API and was not sent: ");
        message.AppendJoin("; ", errors.Select(e => $"{e.Param}: {e.Message}"));
        return new SeedreamException(message.ToString(), 400, first.Code, first.Param, "BadRequest",
            isTransient: false, validationErrors: errors);
    }

    internal static SeedreamException ForInvalidRequestJson(string path, string message) =>
        ForValidation([new SeedreamValidationError(path, ImageGenerationRequestValidator.InvalidParameter, message)]);

    /// <summary>
    /// Whether an answer may succeed when repeated later. The code decides before the status: gateways relay
    /// permanent failures with statuses of their own (new-api answers an unknown model with 503 <c>model_not_found</c>),
    /// and a job must not be retried for minutes on them. Codes of the contract's error table (and the gateways')
    /// that say the request, key, account or model is wrong are permanent whatever the status; rate limits, overload
    /// and internal errors stay transient; unknown codes fall back to the status (408, 429, 5xx).
    /// </summary>
    internal static bool IsTransientAnswer(int status, string? code) =>
        Http.ErrorCodes.Classify(code) ?? (status is 408 or 429 or >= 500);

    internal static string? AdviceFor(int status, string? code)
    {
        if (code is not null && (code.Equals("model_not_found", StringComparison.OrdinalIgnoreCase)
            || code.StartsWith("InvalidEndpointOrModel", StringComparison.Ordinal)
            || code is "ModelNotOpen" or "UnsupportedModel"))
        {
            return ModelAdvice;
        }

        return status switch
        {
            401 => "Check the API key (Seedream:ApiKey) and that it is sent as 'Authorization: Bearer <key>'.",
            403 => "Check the account balance, the quota and the permission to use this model (activate it in the console).",
            404 => ModelAdvice,
            400 when code is not null && (code.StartsWith("InvalidParameter", StringComparison.Ordinal) || code.StartsWith("MissingParameter", StringComparison.Ordinal)
                || code.StartsWith("InvalidImageURL", StringComparison.Ordinal) || code is "invalid_request" or "bad_request" or "invalid_parameters") =>
                "A parameter is not supported by this model: check size, image, response_format and output_format against the model's capabilities.",
            400 when code is not null && code.Contains("SensitiveContent", StringComparison.Ordinal) =>
                "The prompt, a reference image or the output was refused by content moderation; change the input.",
            429 => "Rate limited (500 images per minute per model): retry after the indicated delay or lower the request rate.",
            >= 500 => "Server or gateway failure: retry later.",
            _ => null,
        };
    }

    private const string ModelAdvice = "The model id is wrong or not available to this key: check GET /models on a gateway, or the model list and activation in the console (some accounts must use an ep-… endpoint id).";
}
