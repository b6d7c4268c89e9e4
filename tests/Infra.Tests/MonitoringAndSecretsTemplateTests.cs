namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class MonitoringAndSecretsTemplateTests(CompiledInfrastructure infrastructure)
{
    [Fact]
    public void Application_insights_is_workspace_based_and_accepts_entra_id_telemetry_only()
    {
        var applicationInsights = infrastructure.Single("Microsoft.Insights/components");

        Assert.True(applicationInsights.Evaluate("properties", "DisableLocalAuth")!.GetValue<bool>());
        Assert.Equal(infrastructure.Single("Microsoft.OperationalInsights/workspaces").Id, applicationInsights.EvaluateString("properties", "WorkspaceResourceId"));
    }

    [Fact]
    public void Key_vault_uses_rbac_and_stores_the_api_key_from_a_secure_parameter()
    {
        var vault = infrastructure.Single("Microsoft.KeyVault/vaults");
        var secret = infrastructure.OfType("Microsoft.KeyVault/vaults/secrets").Single(s => s.LeafName == "seedream-api-key");
        var apiKeyParameter = infrastructure.Template["parameters"]!["seedreamApiKey"]!;

        Assert.True(vault.Evaluate("properties", "enableRbacAuthorization")!.GetValue<bool>());
        Assert.Null(vault.Evaluate("properties", "accessPolicies"));
        Assert.Equal($"{vault.Name}/seedream-api-key", secret.Name);
        Assert.Equal("⟨parameters('seedreamApiKey')⟩", secret.EvaluateString("properties", "value"));
        Assert.Equal("securestring", apiKeyParameter["type"]!.GetValue<string>());
        Assert.Null(apiKeyParameter["defaultValue"]);
    }

    [Fact]
    public void Webhook_secrets_are_stored_only_when_given_from_secure_parameters_and_reach_the_app_as_key_vault_references()
    {
        var secrets = infrastructure.OfType("Microsoft.KeyVault/vaults/secrets").Where(s => s.LeafName.StartsWith("webhook-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["webhook-inbound-secret", "webhook-signing-secret", "webhook-signing-secret-next"], secrets.Select(s => s.LeafName).Order(StringComparer.Ordinal));
        Assert.All(secrets, s => Assert.Contains("given", s.Definition["condition"]!.GetValue<string>(), StringComparison.Ordinal));
        foreach (var name in new[] { "webhookSigningSecret", "webhookSigningSecretNext", "webhookInboundSecret" })
        {
            var parameter = infrastructure.Template["parameters"]![name]!;
            Assert.Equal("securestring", parameter["type"]!.GetValue<string>());
            Assert.Equal(string.Empty, parameter["defaultValue"]!.GetValue<string>());
        }

        var references = infrastructure.Module("key-vault").Template["outputs"]!["webhookKeyVaultReferences"]!["value"]!.GetValue<string>();
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", references, StringComparison.Ordinal);
        Assert.Contains("Webhooks__SigningSecrets__1", infrastructure.Module("key-vault").Template.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("webhookSigningSecret", references, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_vault_reference_points_at_the_versionless_secret_uri()
    {
        var output = infrastructure.Module("key-vault").Template["outputs"]!["seedreamApiKeySecretUri"]!["value"]!.GetValue<string>();

        Assert.Contains("secretUri", output, StringComparison.Ordinal);
        Assert.DoesNotContain("secretUriWithVersion", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_outputs_what_azd_and_callers_need_and_no_secret()
    {
        var outputs = infrastructure.Template["outputs"]!.AsObject();

        Assert.Equal("reference(Microsoft.Resources/deployments(function-app)).outputs.name.value", Output("FUNCTION_APP_NAME"));
        Assert.Equal("reference(Microsoft.Resources/deployments(function-app)).outputs.url.value", Output("FUNCTION_APP_URL"));
        Assert.Equal("reference(Microsoft.Resources/deployments(event-grid-topic)).outputs.endpoint.value", Output("EVENT_GRID_TOPIC_ENDPOINT"));
        Assert.Equal("reference(Microsoft.Resources/deployments(storage)).outputs.name.value", Output("STORAGE_ACCOUNT_NAME"));
        Assert.All(outputs, output => Assert.DoesNotContain("seedreamApiKey", output.Value!.ToJsonString(), StringComparison.Ordinal));

        string Output(string name) => ArmExpression.AsString(ArmExpression.Evaluate(outputs[name]!["value"], infrastructure.Main));
    }
}
