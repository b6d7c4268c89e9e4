// Flex Consumption (FC1) plan and the .NET 10 isolated function app. Every connection is identity-based:
// the host, the pipeline's storage clients, the deployment package, Application Insights, Event Grid and the
// Key Vault reference all use the one user-assigned identity.

param planName string
param appName string
param location string
param tags object

@description('Name of the user-assigned identity the app runs as (same resource group).')
param appIdentityName string

@description('Client id of that identity.')
param appIdentityClientId string

param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Upper bound on instances the plan scales out to (caps parallel Seedream calls and cost).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@minValue(2)
@description('Generation jobs one instance runs at once: the queue trigger\'s batchSize + newBatchThreshold (over host.json).')
param jobsPerInstance int

@minValue(1)
@description('The Seedream account\'s images per minute per model: the pacer\'s budget.')
param seedreamImagesPerMinute int

param applicationInsightsConnectionString string
param seedreamApiKeySecretUri string

@description('Seedream API base URLs, first preferred.')
@minLength(1)
param seedreamBaseUrls string[]

param eventGridTopicEndpoint string
param generationRequestsQueueName string
param inboxEventsQueueName string

@description('Queue of job callback deliveries (one attempt per message).')
param webhookDeliveriesQueueName string

@description('Webhook secret settings as Key Vault references (key-vault module output webhookKeyVaultReferences).')
param webhookKeyVaultReferences object = {}
param imagesContainerName string
param jobsContainerName string
param inboxContainerName string

@description('Blob container for queue messages that map to no job of their own.')
param deadLettersContainerName string
@description('Batches: the container of batch records, inputs and results, and the batch control and job queues.')
param batchesContainerName string
param batchControlQueueName string
param batchGenerationRequestsQueueName string

@description('Table of the job listing\'s index.')
param jobIndexTableName string

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Names as in docs/architecture.md §4. Flex Consumption sets the worker runtime and host version from
// functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not appear here.
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appIdentityClientId
  // DefaultAzureCredential (Event Grid publisher) picks the user-assigned identity from this.
  AZURE_CLIENT_ID: appIdentityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${appIdentityClientId}'
  GenerationRequestsQueue: generationRequestsQueueName
  InboxEventsQueue: inboxEventsQueueName
  WebhookDeliveriesQueue: webhookDeliveriesQueueName
  ImagesContainer: imagesContainerName
  JobsContainer: jobsContainerName
  InboxContainer: inboxContainerName
  DeadLetterContainer: deadLettersContainerName
  BatchesContainer: batchesContainerName
  BatchControlQueue: batchControlQueueName
  BatchGenerationRequestsQueue: batchGenerationRequestsQueueName
  JobIndexTable: jobIndexTableName
  Seedream__ApiKey: '@Microsoft.KeyVault(SecretUri=${seedreamApiKeySecretUri})'
  EventGrid__TopicEndpoint: eventGridTopicEndpoint
  // Per-instance concurrency and the pacer's budget from the limit (docs/deploy.md); app settings override host.json.
  AzureFunctionsJobHost__extensions__queues__batchSize: string(jobsPerInstance / 2)
  AzureFunctionsJobHost__extensions__queues__newBatchThreshold: string(jobsPerInstance - jobsPerInstance / 2)
  Pacing__ImagesPerMinute: string(seedreamImagesPerMinute)
}

var seedreamBaseUrlSettings = toObject(
  range(0, length(seedreamBaseUrls)),
  index => 'Seedream__BaseUrls__${index}',
  index => seedreamBaseUrls[index]
)

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${appIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: appIdentity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: appIdentity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(appSettings, seedreamBaseUrlSettings, webhookKeyVaultReferences)
  }
}

output name string = functionApp.name
output url string = 'https://${functionApp.properties.defaultHostName}'
