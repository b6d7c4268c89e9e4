using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class FunctionAppTemplateTests(CompiledInfrastructure infrastructure)
{
    private ArmResource FunctionApp => infrastructure.Single("Microsoft.Web/sites");

    private ArmResource AppIdentity => infrastructure.Single("Microsoft.ManagedIdentity/userAssignedIdentities");

    [Fact]
    public void Plan_is_flex_consumption()
    {
        var plan = infrastructure.Single("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", plan.EvaluateString("sku", "name"));
        Assert.Equal("FlexConsumption", plan.EvaluateString("sku", "tier"));
        Assert.Equal(plan.Id, FunctionApp.EvaluateString("properties", "serverFarmId"));
    }

    [Fact]
    public void App_runs_dotnet_isolated_10_over_https_only_as_the_user_assigned_identity()
    {
        var app = FunctionApp;
        var identity = app.Evaluate("identity")!;
        var assignedIdentityIds = identity["userAssignedIdentities"]!.AsObject()
            .Select(entry => ArmExpression.AsString(ArmExpression.Evaluate(JsonValue.Create(entry.Key), app.Scope)));

        Assert.Equal("functionapp,linux", app.EvaluateString("kind"));
        Assert.True(app.Evaluate("properties", "httpsOnly")!.GetValue<bool>());
        Assert.Equal("1.2", app.EvaluateString("properties", "siteConfig", "minTlsVersion"));
        Assert.Equal("Disabled", app.EvaluateString("properties", "siteConfig", "ftpsState"));
        Assert.Equal("dotnet-isolated", app.EvaluateString("properties", "functionAppConfig", "runtime", "name"));
        Assert.Equal("10.0", app.EvaluateString("properties", "functionAppConfig", "runtime", "version"));
        Assert.Equal("UserAssigned", identity["type"]!.GetValue<string>());
        Assert.Equal([AppIdentity.Id], assignedIdentityIds);
        Assert.Equal(AppIdentity.Id, app.EvaluateString("properties", "keyVaultReferenceIdentity"));
    }

    [Fact]
    public void Deployment_package_container_is_read_with_the_app_identity()
    {
        var storage = FunctionApp.Evaluate("properties", "functionAppConfig", "deployment", "storage")!;

        Assert.Equal("blobContainer", storage["type"]!.GetValue<string>());
        Assert.Equal("reference(Microsoft.Resources/deployments(storage)).outputs.blobEndpoint.valueapp-package", storage["value"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", storage["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal(AppIdentity.Id, storage["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>());
        Assert.Null(storage["authentication"]!["storageAccountConnectionStringName"]);
    }

    [Fact]
    public void Instance_memory_and_maximum_instances_come_from_parameters()
    {
        var scale = FunctionApp.Definition["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;
        var evaluated = FunctionApp.Evaluate("properties", "functionAppConfig", "scaleAndConcurrency")!;

        Assert.Equal("[parameters('instanceMemoryMB')]", scale["instanceMemoryMB"]!.GetValue<string>());
        Assert.Equal("[parameters('maximumInstanceCount')]", scale["maximumInstanceCount"]!.GetValue<string>());
        Assert.Equal(2048, evaluated["instanceMemoryMB"]!.GetValue<int>());
        // Derived from Seedream's limit (ScaleOutTemplateTests): 11 generation instances + 4 for the HTTP and inbox functions.
        Assert.Equal(15, evaluated["maximumInstanceCount"]!.GetValue<int>());
    }

    [Fact]
    public void App_and_resource_group_carry_the_azd_tags()
    {
        var resourceGroup = infrastructure.Single("Microsoft.Resources/resourceGroups");

        var appTags = FunctionApp.Evaluate("tags")!.AsObject();

        Assert.Equal("api", appTags["azd-service-name"]!.GetValue<string>());
        Assert.Equal("⟨parameters('environmentName')⟩", appTags["azd-env-name"]!.GetValue<string>());
        Assert.Equal("⟨parameters('environmentName')⟩", resourceGroup.Evaluate("tags")!["azd-env-name"]!.GetValue<string>());
    }

    [Fact]
    public void App_settings_use_the_architecture_names_identity_based_storage_and_a_key_vault_reference()
    {
        var settings = AppSettings();
        var identityClientId = "reference(Microsoft.Resources/deployments(identity)).outputs.clientId.value";

        Assert.Equal("reference(Microsoft.Resources/deployments(storage)).outputs.blobEndpoint.value", settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.Equal("reference(Microsoft.Resources/deployments(storage)).outputs.queueEndpoint.value", settings["AzureWebJobsStorage__queueServiceUri"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal(identityClientId, settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal(identityClientId, settings["AZURE_CLIENT_ID"]);
        Assert.Equal($"Authorization=AAD;ClientId={identityClientId}", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Equal("generation-requests", settings["GenerationRequestsQueue"]);
        Assert.Equal("inbox-events", settings["InboxEventsQueue"]);
        Assert.Equal("webhook-deliveries", settings["WebhookDeliveriesQueue"]);
        Assert.Equal("images", settings["ImagesContainer"]);
        Assert.Equal("jobs", settings["JobsContainer"]);
        Assert.Equal("inbox", settings["InboxContainer"]);
        Assert.Equal("dead-letters", settings["DeadLetterContainer"]);
        Assert.Equal("batches", settings["BatchesContainer"]);
        Assert.Equal("batch-control", settings["BatchControlQueue"]);
        Assert.Equal("batch-generation-requests", settings["BatchGenerationRequestsQueue"]);
        Assert.Equal(
            "@Microsoft.KeyVault(SecretUri=reference(Microsoft.Resources/deployments(key-vault)).outputs.seedreamApiKeySecretUri.value)",
            settings["Seedream__ApiKey"]);
        Assert.Equal("reference(Microsoft.Resources/deployments(event-grid-topic)).outputs.endpoint.value", settings["EventGrid__TopicEndpoint"]);
    }

    [Fact]
    public void App_settings_hold_no_connection_string_key_or_local_only_setting()
    {
        var settings = AppSettings();

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.DoesNotContain(settings.Keys, name => name.StartsWith("Seedream__Downloads__", StringComparison.Ordinal));
        Assert.DoesNotContain("EventGrid__TopicKey", settings.Keys);
        // Flex Consumption takes the worker runtime from functionAppConfig and rejects these settings.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings.Keys);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", settings.Keys);
        foreach (var forbidden in new[] { "AccountKey=", "SharedAccessSignature", "DefaultEndpointsProtocol", "UseDevelopmentStorage", "listKeys", "sig=" })
        {
            Assert.DoesNotContain(settings, setting => setting.Value.Contains(forbidden, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Seedream_base_urls_become_indexed_settings()
    {
        var baseUrlSettings = infrastructure.Module("function-app").Template["variables"]!["seedreamBaseUrlSettings"]!.GetValue<string>();

        Assert.Contains("'Seedream__BaseUrls__{0}'", baseUrlSettings, StringComparison.Ordinal);
        Assert.Contains("parameters('seedreamBaseUrls')[lambdaVariables('index')]", baseUrlSettings, StringComparison.Ordinal);
        Assert.Equal(
            ["https://ark.ap-southeast.bytepluses.com/api/v3"],
            infrastructure.Main.ParameterValue("seedreamBaseUrls")!.AsArray().Select(url => url!.GetValue<string>()));
    }

    [Fact]
    public void No_account_key_or_sas_is_read_anywhere_in_the_deployment()
    {
        foreach (var function in new[] { "listKeys", "listAccountSas", "listServiceSas", "listConnectionStrings", "primaryKey" })
        {
            Assert.DoesNotContain(function, infrastructure.TemplateText, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// The appsettings resource merges the fixed settings with the indexed base URLs; the fixed part is a variable
    /// whose values the evaluator can read.
    /// </summary>
    private Dictionary<string, string> AppSettings()
    {
        var config = infrastructure.Single("Microsoft.Web/sites/config");
        Assert.EndsWith("/appsettings", config.Name, StringComparison.Ordinal);
        Assert.Equal("[union(variables('appSettings'), variables('seedreamBaseUrlSettings'), parameters('webhookKeyVaultReferences'))]", config.Definition["properties"]!.GetValue<string>());
        return config.Scope.VariableValue("appSettings")!.AsObject()
            .ToDictionary(setting => setting.Key, setting => ArmExpression.AsString(setting.Value));
    }
}
