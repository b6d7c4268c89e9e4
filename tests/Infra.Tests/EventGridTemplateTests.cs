namespace Seedream.Infra.Tests;

[Collection(CompiledInfrastructureCollection.Name)]
public sealed class EventGridTemplateTests(CompiledInfrastructure infrastructure)
{
    [Fact]
    public void Notification_topic_takes_cloud_events_and_entra_id_authentication_only()
    {
        var topic = infrastructure.Single("Microsoft.EventGrid/topics");

        Assert.Equal("CloudEventSchemaV1_0", topic.EvaluateString("properties", "inputSchema"));
        Assert.True(topic.Evaluate("properties", "disableLocalAuth")!.GetValue<bool>());
    }

    [Fact]
    public void Webhook_subscription_is_created_only_when_a_url_is_given_and_pushes_completed_and_failed_events()
    {
        var subscription = infrastructure.Single("Microsoft.EventGrid/topics/eventSubscriptions");
        var webhookParameter = infrastructure.Template["parameters"]!["notificationWebhookUrl"]!;

        Assert.Equal("[not(empty(parameters('notificationWebhookUrl')))]", subscription.Definition["condition"]!.GetValue<string>());
        Assert.Equal("securestring", webhookParameter["type"]!.GetValue<string>());
        Assert.Equal("", webhookParameter["defaultValue"]!.GetValue<string>());
        Assert.Equal("WebHook", subscription.EvaluateString("properties", "destination", "endpointType"));
        Assert.Equal("CloudEventSchemaV1_0", subscription.EvaluateString("properties", "eventDeliverySchema"));
        Assert.Equal(
            ["Seedream.ImageSeries.Completed", "Seedream.ImageSeries.Failed"],
            subscription.Evaluate("properties", "filter", "includedEventTypes")!.AsArray().Select(type => type!.GetValue<string>()));
    }

    [Fact]
    public void Storage_system_topic_has_its_own_identity_for_delivery()
    {
        var systemTopic = infrastructure.Single("Microsoft.EventGrid/systemTopics");

        Assert.Equal("Microsoft.Storage.StorageAccounts", systemTopic.EvaluateString("properties", "topicType"));
        Assert.Equal(infrastructure.Single("Microsoft.Storage/storageAccounts").Id, systemTopic.EvaluateString("properties", "source"));
        Assert.Equal("SystemAssigned", systemTopic.EvaluateString("identity", "type"));
    }

    [Fact]
    public void Blob_created_events_of_the_inbox_go_to_the_inbox_events_queue_with_the_topic_identity()
    {
        var subscription = infrastructure.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        var properties = subscription.Evaluate("properties")!;
        var delivery = properties["deliveryWithResourceIdentity"]!;
        var storage = infrastructure.Single("Microsoft.Storage/storageAccounts").Id;

        Assert.Equal(["Microsoft.Storage.BlobCreated"], properties["filter"]!["includedEventTypes"]!.AsArray().Select(type => type!.GetValue<string>()));
        Assert.Equal("/blobServices/default/containers/inbox/blobs/", properties["filter"]!["subjectBeginsWith"]!.GetValue<string>());
        Assert.Equal("SystemAssigned", delivery["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageQueue", delivery["destination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal(storage, delivery["destination"]!["properties"]!["resourceId"]!.GetValue<string>());
        Assert.Equal("inbox-events", delivery["destination"]!["properties"]!["queueName"]!.GetValue<string>());
        Assert.Null(properties["destination"]);
    }

    [Fact]
    public void Undeliverable_inbox_events_are_dead_lettered_to_a_container_with_the_topic_identity()
    {
        var subscription = infrastructure.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        var deadLetter = subscription.Evaluate("properties", "deadLetterWithResourceIdentity")!;

        Assert.Equal("SystemAssigned", deadLetter["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageBlob", deadLetter["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal(infrastructure.Single("Microsoft.Storage/storageAccounts").Id, deadLetter["deadLetterDestination"]!["properties"]!["resourceId"]!.GetValue<string>());
        Assert.Equal("inbox-deadletter", deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>());
        Assert.Null(subscription.Evaluate("properties", "deadLetterDestination"));
    }

    [Fact]
    public void Inbox_subscription_waits_for_the_topic_identity_roles()
    {
        var subscription = infrastructure.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        var dependencies = subscription.Definition["dependsOn"]!.AsArray().Select(dependency => dependency!.GetValue<string>()).ToList();

        Assert.Equal(2, dependencies.Count(dependency => dependency.Contains("Microsoft.Authorization/roleAssignments", StringComparison.Ordinal)));
    }
}
