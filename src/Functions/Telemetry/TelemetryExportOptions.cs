using Microsoft.Extensions.Configuration;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Telemetry;

/// <summary>
/// Where the app's traces and metrics go. Azure: Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
/// is set (Entra ID ingestion per <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>). Local runs (<c>./run.sh --telemetry</c>):
/// <c>Telemetry:Console</c> prints spans and metrics, <c>Telemetry:File</c> appends them as JSON lines.
/// </summary>
public sealed record TelemetryExportOptions(string? ApplicationInsightsConnectionString, string? ApplicationInsightsAuthentication, bool Console, string? File)
{
    public const string ConsoleSetting = "Telemetry:Console";
    public const string FileSetting = "Telemetry:File";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static TelemetryExportOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var console = configuration[ConsoleSetting];
        if (console is { Length: > 0 } && !bool.TryParse(console, out _))
        {
            throw new InvalidOperationException($"Setting '{ConsoleSetting}' must be true or false, was '{console}'.");
        }

        return new TelemetryExportOptions(
            NullIfEmpty(configuration[ConnectionStringSetting]),
            NullIfEmpty(configuration[AuthenticationSetting]),
            console is { Length: > 0 } && bool.Parse(console),
            NullIfEmpty(configuration[FileSetting]));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
