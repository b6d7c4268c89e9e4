// Seedream image pipeline on Azure Functions Flex Consumption. Subscription scope: creates the resource group,
// so `azd up` and `az deployment sub create` both work from an empty subscription.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource (must offer Flex Consumption).')
param location string

@secure()
@minLength(1)
@description('Seedream (Volcengine Ark / BytePlus ModelArk) API key, stored in Key Vault.')
param seedreamApiKey string

@minLength(1)
@description('Seedream API base URLs, first preferred (…/api/v3 for Ark, …/v1 for an OpenAI-style gateway).')
param seedreamBaseUrls string[] = [
  'https://ark.ap-southeast.bytepluses.com/api/v3'
]

@allowed([
  512
  2048
  4096
])
// 2048: at host.json's 16 jobs at once (8 + 8), 15 x 4K b64_json jobs peaked well under 1 GB (docs/benchmarks.md, issue 15).
@description('Memory per Flex Consumption instance in MB.')
param instanceMemoryMB int = 2048

// Scale-out from the provider's limit (docs/deploy.md, "Scale-out from the Seedream limit"): instances beyond what the
// limit can feed would only wait for capacity, so the instance count follows from the account's IPM.
@minValue(1)
@maxValue(1000000)
@description('The Seedream account\'s images per minute per model version (the provider: 500). The pacer keeps every instance together under it.')
param seedreamImagesPerMinute int = 500

@minValue(1)
@maxValue(600)
// 20: Seedream 5.0 lite at 2K took 26 s for one image and 48 s for two in a stream (docs/seedream-api.md), about 20 s per
// further image of a group.
@description('Seconds Seedream takes per generated image, as measured for the models in use.')
param seedreamSecondsPerImage int = 20

@minValue(2)
@maxValue(64)
// 16: host.json's 8 + 8; 16 jobs of 15 x 4K peaked at 665 MB RSS on a 2,048 MB instance (docs/benchmarks.md, issue 15).
@description('Generation jobs one instance runs at once (the queue trigger\'s batchSize + newBatchThreshold).')
param jobsPerInstance int = 16

@minValue(0)
@maxValue(100)
@description('Instances on top of the generation runners for the HTTP and inbox functions, which Flex Consumption scales separately.')
param frontEndInstances int = 4

// Images one instance generates per minute: its jobs each wait seedreamSecondsPerImage per image (16 x 60 / 20 = 48).
var imagesPerInstanceMinute = max(1, jobsPerInstance * 60 / seedreamSecondsPerImage)
// Instances that keep the limit busy, rounded up (500 / 48 -> 11); more would only meet the pacer's waits.
var generationInstances = (seedreamImagesPerMinute + imagesPerInstanceMinute - 1) / imagesPerInstanceMinute
var maximumInstanceCount = min(1000, generationInstances + frontEndInstances)

@minValue(0)
@description('Delete generated images this many days after creation; 0 keeps them forever.')
param imageRetentionDays int = 0

@minValue(30)
@description('Days Log Analytics keeps telemetry.')
param logRetentionInDays int = 30

@secure()
@description('Optional HTTPS webhook that receives Seedream.ImageSeries.Completed/Failed CloudEvents; empty for none.')
param notificationWebhookUrl string = ''

@secure()
@description('Standard Webhooks secret (whsec_ + base64 of 24+ random bytes) that signs job callbacks; stored in Key Vault. Empty: submissions naming a webhook are refused.')
param webhookSigningSecret string = ''

@secure()
@description('The next signing secret during a rotation: both sign every callback until the old one is removed.')
param webhookSigningSecretNext string = ''

@secure()
@description('Secret (whsec_…) of webhook senders that call POST /api/generations; empty: submissions are not signature-checked.')
param webhookInboundSecret string = ''

var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var appIdentityName = 'id-func-${resourceToken}'
var storageAccountName = 'st${resourceToken}'

// Storage layout of docs/architecture.md §3.
var imagesContainerName = 'images'
var inboxContainerName = 'inbox'
var jobsContainerName = 'jobs'
var deploymentContainerName = 'app-package'
var inboxDeadLetterContainerName = 'inbox-deadletter'
// Queue messages that map to no job of their own (undecodable, id conflicts, failed poison handlers).
var deadLettersContainerName = 'dead-letters'
var generationRequestsQueueName = 'generation-requests'
var inboxEventsQueueName = 'inbox-events'
// Job callbacks (a submission's webhook): one delivery attempt per message, retries re-enqueued with a delay.
var webhookDeliveriesQueueName = 'webhook-deliveries'
var batchesContainerName = 'batches'
var batchControlQueueName = 'batch-control'
var batchGenerationRequestsQueueName = 'batch-generation-requests'
var jobIndexTableName = 'jobindex'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// Modules find the identity and the storage account by name (known before deployment, which keeps role assignment
// names and what-if predictions exact), so they depend on the modules that create them explicitly.
module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: appIdentityName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    name: storageAccountName
    location: location
    tags: tags
    containerNames: [
      imagesContainerName
      inboxContainerName
      jobsContainerName
      deploymentContainerName
      inboxDeadLetterContainerName
      deadLettersContainerName
      batchesContainerName
    ]
    queueNames: [
      generationRequestsQueueName
      '${generationRequestsQueueName}-poison'
      inboxEventsQueueName
      '${inboxEventsQueueName}-poison'
      webhookDeliveriesQueueName
      '${webhookDeliveriesQueueName}-poison'
      batchControlQueueName
      '${batchControlQueueName}-poison'
      batchGenerationRequestsQueueName
      '${batchGenerationRequestsQueueName}-poison'
    ]
    tableNames: [
      jobIndexTableName
    ]
    imagesPrefix: '${imagesContainerName}/'
    imageRetentionDays: imageRetentionDays
    appIdentityName: appIdentityName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    appIdentityName: appIdentityName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    seedreamApiKeySecretName: 'seedream-api-key'
    seedreamApiKey: seedreamApiKey
    appIdentityName: appIdentityName
    webhookSigningSecret: webhookSigningSecret
    webhookSigningSecretNext: webhookSigningSecretNext
    webhookInboundSecret: webhookInboundSecret
  }
}

module eventGridTopic 'modules/event-grid-topic.bicep' = {
  name: 'event-grid-topic'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    appIdentityName: appIdentityName
    notificationWebhookUrl: notificationWebhookUrl
    notificationEventTypes: [
      'Seedream.ImageSeries.Completed'
      'Seedream.ImageSeries.Failed'
    ]
  }
}

module inboxEvents 'modules/inbox-events.bicep' = {
  name: 'inbox-events'
  scope: resourceGroup
  dependsOn: [
    storage
  ]
  params: {
    name: 'evgst-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storageAccountName
    inboxContainerName: inboxContainerName
    inboxEventsQueueName: inboxEventsQueueName
    deadLetterContainerName: inboxDeadLetterContainerName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  // Its data roles come with the modules whose outputs it uses, so they exist before the app starts.
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    location: location
    tags: tags
    appIdentityName: appIdentityName
    appIdentityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    jobsPerInstance: jobsPerInstance
    seedreamImagesPerMinute: seedreamImagesPerMinute
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    seedreamApiKeySecretUri: keyVault.outputs.seedreamApiKeySecretUri
    seedreamBaseUrls: seedreamBaseUrls
    eventGridTopicEndpoint: eventGridTopic.outputs.endpoint
    generationRequestsQueueName: generationRequestsQueueName
    inboxEventsQueueName: inboxEventsQueueName
    webhookDeliveriesQueueName: webhookDeliveriesQueueName
    webhookKeyVaultReferences: keyVault.outputs.webhookKeyVaultReferences
    imagesContainerName: imagesContainerName
    jobsContainerName: jobsContainerName
    inboxContainerName: inboxContainerName
    deadLettersContainerName: deadLettersContainerName
    batchesContainerName: batchesContainerName
    batchControlQueueName: batchControlQueueName
    batchGenerationRequestsQueueName: batchGenerationRequestsQueueName
    jobIndexTableName: jobIndexTableName
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = functionApp.outputs.url
output EVENT_GRID_TOPIC_ENDPOINT string = eventGridTopic.outputs.endpoint
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MAXIMUM_INSTANCE_COUNT int = maximumInstanceCount
output IMAGES_PER_INSTANCE_MINUTE int = imagesPerInstanceMinute
