// Key Vault in RBAC mode holding the Seedream API key. The app reads it through a Key Vault reference
// with its user-assigned identity, which may read this one secret and nothing else in the vault.

param name string
param location string
param tags object

@description('Name of the secret that stores the Seedream API key.')
param seedreamApiKeySecretName string

@secure()
@minLength(1)
@description('Seedream (Ark / ModelArk) API key.')
param seedreamApiKey string

@description('Name of the function app\'s user-assigned identity (same resource group).')
param appIdentityName string

@secure()
@description('Standard Webhooks secret (whsec_…) that signs job callbacks; empty: no secret is stored and callbacks are refused.')
param webhookSigningSecret string = ''

@secure()
@description('The next signing secret during a rotation (both sign); empty outside a rotation.')
param webhookSigningSecretNext string = ''

@secure()
@description('Secret (whsec_…) of webhook senders calling POST /api/generations; empty: submissions are not signature-checked.')
param webhookInboundSecret string = ''

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource seedreamApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: keyVault
  name: seedreamApiKeySecretName
  properties: {
    value: seedreamApiKey
    contentType: 'text/plain'
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(seedreamApiKeySecret.id, appIdentity.id, keyVaultSecretsUserRoleId)
  scope: seedreamApiKeySecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Versionless, so a rotated secret is picked up without redeploying.
output seedreamApiKeySecretUri string = seedreamApiKeySecret.properties.secretUri

// Webhook secrets: each stored only when given, readable by the app identity one secret at a time, like the API key.
var webhookSecrets = [
  { name: 'webhook-signing-secret', setting: 'Webhooks__SigningSecrets__0', given: !empty(webhookSigningSecret) }
  { name: 'webhook-signing-secret-next', setting: 'Webhooks__SigningSecrets__1', given: !empty(webhookSigningSecretNext) }
  { name: 'webhook-inbound-secret', setting: 'Webhooks__InboundSecrets__0', given: !empty(webhookInboundSecret) }
]
var webhookSecretValues = [
  webhookSigningSecret
  webhookSigningSecretNext
  webhookInboundSecret
]

resource webhookSecretResources 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = [
  for (secret, i) in webhookSecrets: if (secret.given) {
    parent: keyVault
    name: secret.name
    properties: {
      value: webhookSecretValues[i]
      contentType: 'text/plain'
    }
  }
]

resource webhookSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (secret, i) in webhookSecrets: if (secret.given) {
    name: guid(keyVault.id, secret.name, appIdentity.id, keyVaultSecretsUserRoleId)
    scope: webhookSecretResources[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// App settings of the stored webhook secrets, as Key Vault references (versionless): { setting: reference }.
output webhookKeyVaultReferences object = toObject(
  filter(range(0, length(webhookSecrets)), i => webhookSecrets[i].given),
  i => webhookSecrets[i].setting,
  i => '@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/${webhookSecrets[i].name})'
)
