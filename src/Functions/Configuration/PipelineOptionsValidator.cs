using Microsoft.Extensions.Options;

namespace Seedream.Functions.Configuration;

/// <summary>
/// A job lease shorter than the Seedream request timeout would let another delivery declare a generation that is still
/// running "outcome unknown" (and lose images already paid for), so the lease must outlast the request.
/// </summary>
internal sealed class PipelineOptionsValidator(IOptions<SeedreamClientOptions> seedream) : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        var requestTimeout = seedream.Value.RequestTimeout;
        return options.LeaseDuration > requestTimeout
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Pipeline:LeaseDuration ({options.LeaseDuration}) must be longer than Seedream:RequestTimeout ({requestTimeout}).");
    }
}
