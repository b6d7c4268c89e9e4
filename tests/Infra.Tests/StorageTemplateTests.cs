namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class StorageTemplateTests(CompiledInfrastructure infrastructure)
{
    [Fact]
    public void Storage_account_accepts_only_identity_based_tls12_https_access_without_public_blobs()
    {
        var account = infrastructure.Single("Microsoft.Storage/storageAccounts");
        var properties = account.Evaluate("properties")!;

        Assert.False(properties["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(properties["defaultToOAuthAuthentication"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", properties["minimumTlsVersion"]!.GetValue<string>());
        Assert.False(properties["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.StartsWith("st", account.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Containers_of_the_pipeline_the_deployment_package_and_dead_letters_exist_and_are_private()
    {
        var containers = infrastructure.OfType("Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.Equal(
            ["app-package", "batches", "dead-letters", "images", "inbox", "inbox-deadletter", "jobs"],
            containers.Select(container => container.LeafName).Order(StringComparer.Ordinal));
        Assert.All(containers, container => Assert.Equal("None", container.EvaluateString("properties", "publicAccess")));
    }

    [Fact]
    public void Work_and_event_queues_exist_with_their_poison_queues()
    {
        var queues = infrastructure.OfType("Microsoft.Storage/storageAccounts/queueServices/queues");

        Assert.Equal(
            ["batch-control", "batch-control-poison", "batch-generation-requests", "batch-generation-requests-poison", "generation-requests", "generation-requests-poison", "inbox-events", "inbox-events-poison", "webhook-deliveries", "webhook-deliveries-poison"],
            queues.Select(queue => queue.LeafName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Image_retention_rule_is_optional_and_deletes_only_generated_images()
    {
        var policy = infrastructure.Single("Microsoft.Storage/storageAccounts/managementPolicies");
        var rule = Assert.Single(policy.Evaluate("properties", "policy", "rules")!.AsArray())!;

        Assert.Contains("imageRetentionDays", policy.Definition["condition"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["images/"], rule["definition"]!["filters"]!["prefixMatch"]!.AsArray().Select(prefix => prefix!.GetValue<string>()));
        // Evaluated with main.bicep's default: 0 days, which the condition turns into "no rule".
        Assert.Equal(0, rule["definition"]!["actions"]!["baseBlob"]!["delete"]!["daysAfterCreationGreaterThan"]!.GetValue<int>());
    }
}
