// Defaults for `azd up` (azd exports AZURE_ENV_NAME and AZURE_LOCATION) and for `az deployment sub create`
// (export them yourself). The API key is never stored here: `azd env set SEEDREAM_API_KEY <key>` or export it.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'seedream')
param location = readEnvironmentVariable('AZURE_LOCATION', 'southeastasia')
param seedreamApiKey = readEnvironmentVariable('SEEDREAM_API_KEY')
param seedreamBaseUrls = [
  readEnvironmentVariable('SEEDREAM_BASE_URL', 'https://ark.ap-southeast.bytepluses.com/api/v3')
]
param instanceMemoryMB = 2048
param seedreamImagesPerMinute = int(readEnvironmentVariable('SEEDREAM_IMAGES_PER_MINUTE', '500'))
param seedreamSecondsPerImage = 20
param jobsPerInstance = 16
param frontEndInstances = 4
param imageRetentionDays = int(readEnvironmentVariable('IMAGE_RETENTION_DAYS', '0'))
param logRetentionInDays = 30
param notificationWebhookUrl = readEnvironmentVariable('NOTIFICATION_WEBHOOK_URL', '')
param webhookSigningSecret = readEnvironmentVariable('WEBHOOK_SIGNING_SECRET', '')
param webhookSigningSecretNext = readEnvironmentVariable('WEBHOOK_SIGNING_SECRET_NEXT', '')
param webhookInboundSecret = readEnvironmentVariable('WEBHOOK_INBOUND_SECRET', '')
