namespace Seedream.Infra.Tests;

/// <summary>What the operations routes need in Azure: the listing's index table with identity-based access, and OpenTelemetry's Application Insights settings.</summary>
[Collection(CompiledInfrastructureCollection.Name)]
public sealed class OperationsTemplateTests(CompiledInfrastructure infrastructure)
{
    [Fact]
    public void Job_index_table_exists_and_the_app_reaches_it_by_identity_under_its_setting()
    {
        var tables = infrastructure.OfType("Microsoft.Storage/storageAccounts/tableServices/tables");
        var settings = AppSettings();

        Assert.Equal(["jobindex"], tables.Select(table => table.LeafName));
        Assert.Equal("jobindex", settings["JobIndexTable"]);
        Assert.Equal("reference(Microsoft.Resources/deployments(storage)).outputs.tableEndpoint.value", settings["AzureWebJobsStorage__tableServiceUri"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
    }

    [Fact]
    public void OpenTelemetry_exports_to_application_insights_with_entra_id_only()
    {
        var settings = AppSettings();

        Assert.Equal("reference(Microsoft.Resources/deployments(monitoring)).outputs.applicationInsightsConnectionString.value", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.StartsWith("Authorization=AAD;ClientId=", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], StringComparison.Ordinal);
        // Local-run exporters are never switched on in Azure.
        Assert.DoesNotContain(settings.Keys, name => name.StartsWith("Telemetry__", StringComparison.Ordinal));
    }

    private Dictionary<string, string> AppSettings() =>
        infrastructure.Single("Microsoft.Web/sites/config").Scope.VariableValue("appSettings")!.AsObject()
            .ToDictionary(setting => setting.Key, setting => ArmExpression.AsString(setting.Value));
}
