// Custom topic for the pipeline's notifications (Seedream.ImageSeries.Completed / .Failed as CloudEvents).
// Local (key/SAS) authentication is disabled: publishers authenticate with Microsoft Entra ID.

param name string
param location string
param tags object

@description('Name of the function app\'s user-assigned identity (same resource group).')
param appIdentityName string

@secure()
@description('Optional webhook that receives Completed/Failed events; empty creates no subscription.')
param notificationWebhookUrl string

@description('Event types pushed to the notification webhook.')
param notificationEventTypes string[]

var eventGridDataSenderRoleId = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource appDataSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, appIdentity.id, eventGridDataSenderRoleId)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSenderRoleId)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource notificationWebhook 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = if (!empty(notificationWebhookUrl)) {
  parent: topic
  name: 'notification-webhook'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: notificationWebhookUrl
      }
    }
    filter: {
      includedEventTypes: notificationEventTypes
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output endpoint string = topic.properties.endpoint
