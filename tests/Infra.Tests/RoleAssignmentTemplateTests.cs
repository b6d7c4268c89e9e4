namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class RoleAssignmentTemplateTests(CompiledInfrastructure infrastructure)
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string StorageQueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
    private const string EventGridDataSender = "d5a91429-5739-47e2-a06b-3470a27159e7";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    [Fact]
    public void Every_role_assignment_grants_one_least_privilege_role_on_the_resource_that_needs_it()
    {
        var app = infrastructure.Single("Microsoft.ManagedIdentity/userAssignedIdentities").Id;
        var systemTopic = infrastructure.Single("Microsoft.EventGrid/systemTopics").Id;
        var storage = infrastructure.Single("Microsoft.Storage/storageAccounts").Id;
        var inboxEventsQueue = Resource("Microsoft.Storage/storageAccounts/queueServices/queues", "inbox-events");
        var deadLetterContainer = Resource("Microsoft.Storage/storageAccounts/blobServices/containers", "inbox-deadletter");
        var topic = infrastructure.Single("Microsoft.EventGrid/topics").Id;
        var apiKeySecret = Resource("Microsoft.KeyVault/vaults/secrets", "seedream-api-key");
        var webhookSecrets = new[] { "webhook-signing-secret", "webhook-signing-secret-next", "webhook-inbound-secret" }.Select(name => Resource("Microsoft.KeyVault/vaults/secrets", name));
        var applicationInsights = infrastructure.Single("Microsoft.Insights/components").Id;

        (string Principal, string Role, string Scope)[] expected =
        [
            ($"reference({app}).principalId", StorageBlobDataOwner, storage),
            ($"reference({app}).principalId", StorageQueueDataContributor, storage),
            ($"reference({app}).principalId", StorageTableDataContributor, storage),
            ($"reference({app}).principalId", EventGridDataSender, topic),
            ($"reference({app}).principalId", KeyVaultSecretsUser, apiKeySecret),
            ($"reference({app}).principalId", MonitoringMetricsPublisher, applicationInsights),
            ($"reference({systemTopic}).identity.principalId", StorageQueueDataMessageSender, inboxEventsQueue),
            ($"reference({systemTopic}).identity.principalId", StorageBlobDataContributor, deadLetterContainer),
            .. webhookSecrets.Select(secret => ($"reference({app}).principalId", KeyVaultSecretsUser, secret)),
        ];

        var actual = infrastructure.OfType("Microsoft.Authorization/roleAssignments").Select(assignment => (
            Principal: assignment.EvaluateString("properties", "principalId")!,
            Role: RoleId(assignment),
            Scope: assignment.EvaluateString("scope")!));

        Assert.Equal(expected.Order(), actual.Order());
    }

    [Fact]
    public void Role_assignments_are_for_service_principals_with_stable_unique_names()
    {
        var assignments = infrastructure.OfType("Microsoft.Authorization/roleAssignments");

        Assert.All(assignments, assignment =>
        {
            Assert.Equal("ServicePrincipal", assignment.EvaluateString("properties", "principalType"));
            // guid(scope, principal resource, role): deterministic per deployment, distinct per grant.
            Assert.StartsWith("⟨guid(", assignment.Name, StringComparison.Ordinal);
        });
        Assert.Equal(assignments.Count, assignments.Select(assignment => assignment.Name).Distinct().Count());
    }

    [Fact]
    public void App_identity_is_user_assigned_and_created_before_the_app()
    {
        var identity = infrastructure.Single("Microsoft.ManagedIdentity/userAssignedIdentities");
        var functionAppModule = infrastructure.OfType("Microsoft.Resources/deployments").Single(module => module.Name == "function-app");

        Assert.StartsWith("id-func-", identity.Name, StringComparison.Ordinal);
        Assert.Contains("identity", functionAppModule.Definition["dependsOn"]!.AsArray().Select(dependency => dependency!.GetValue<string>()));
    }

    private string Resource(string type, string leafName) =>
        infrastructure.OfType(type).Single(resource => resource.LeafName == leafName).Id;

    private static string RoleId(ArmResource assignment)
    {
        const string prefix = "Microsoft.Authorization/roleDefinitions(";
        var roleDefinitionId = assignment.EvaluateString("properties", "roleDefinitionId")!;
        Assert.StartsWith(prefix, roleDefinitionId, StringComparison.Ordinal);
        return roleDefinitionId[prefix.Length..^1];
    }
}
