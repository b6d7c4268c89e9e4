using System.Text.RegularExpressions;

namespace Seedream.DevHost;

/// <summary>Resolves trigger attribute values such as <c>%GenerationRequestsQueue%-poison</c> from app settings.</summary>
public static partial class AppSettingExpression
{
    public static string Resolve(string expression, IConfiguration configuration) =>
        SettingReference().Replace(expression, match =>
        {
            // Setting names use "__" for nesting, as environment variables do.
            var name = match.Groups["name"].Value.Replace("__", ":", StringComparison.Ordinal);
            return configuration[name] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"App setting '{name}' (referenced by '{expression}') is not set.");
        });

    [GeneratedRegex("%(?<name>[^%]+)%")]
    private static partial Regex SettingReference();
}
