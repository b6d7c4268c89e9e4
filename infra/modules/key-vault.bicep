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
