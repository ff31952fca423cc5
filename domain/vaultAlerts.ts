// The Activity Log operations that can weaken or bypass the vault, one alert rule per concern.
// The program's alerts (components/vaultAlerts.ts) and the policy pack's check of them read this.
// https://learn.microsoft.com/azure/role-based-access-control/resource-provider-operations

export const VAULT_ALERT_OPERATIONS = {
  account: ["Microsoft.Storage/storageAccounts/write", "Microsoft.Storage/storageAccounts/delete"],
  immutability: [
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete",
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/lock/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/extend/action",
  ],
  locks: ["Microsoft.Authorization/locks/write", "Microsoft.Authorization/locks/delete"],
  roleAssignments: [
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
  ],
  keys: [
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Storage/storageAccounts/regenerateKey/action",
  ],
} as const satisfies Record<string, readonly string[]>;

export type VaultAlertConcern = keyof typeof VAULT_ALERT_OPERATIONS;

/** Every alerted operation, once. */
export const ALERTED_OPERATIONS: readonly string[] = Object.values(VAULT_ALERT_OPERATIONS).flat();
