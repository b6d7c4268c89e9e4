using Azure.Core;
using Azure.Identity;

namespace Seedream.Functions.Configuration;

/// <summary>Reads the documented <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> format (<c>Authorization=AAD[;ClientId=…]</c>).</summary>
public static class ApplicationInsightsAuthentication
{
    /// <summary>A managed identity credential when the string asks for Entra ID authentication; otherwise null.</summary>
    public static TokenCredential? TryCreateCredential(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);

        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
