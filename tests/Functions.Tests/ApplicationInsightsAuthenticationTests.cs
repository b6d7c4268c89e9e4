using Azure.Identity;
using Seedream.Functions;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Tests;

public class ApplicationInsightsAuthenticationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Authorization=Key")]
    [InlineData("ClientId=1234")]
    public void NoCredentialUnlessEntraIdIsAskedFor(string? value) =>
        Assert.Null(ApplicationInsightsAuthentication.TryCreateCredential(value));

    [Theory]
    [InlineData("Authorization=AAD;ClientId=00000000-0000-0000-0000-000000000001")]
    [InlineData("authorization=aad ; clientid=00000000-0000-0000-0000-000000000001")]
    [InlineData("Authorization=AAD")]
    public void EntraIdGivesAManagedIdentityCredential(string value) =>
        Assert.IsType<ManagedIdentityCredential>(ApplicationInsightsAuthentication.TryCreateCredential(value));
}
