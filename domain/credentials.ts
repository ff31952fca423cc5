// How the sync host authenticates to the vault. One discriminated union, so every renderer and
// component handles each kind explicitly (assertNever makes a missing case a compile error).

/** "federated": no stored credential (AWS outbound identity federation to Entra); "sas": a SAS. */
export const CREDENTIAL_MODES = ["federated", "sas"] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** Federated mode: enable the account's outbound federation, or use it as already enabled. */
export const OUTBOUND_FEDERATION = ["enable", "existing"] as const;
export type OutboundFederation = (typeof OUTBOUND_FEDERATION)[number];

/** Where the host's credential comes from, as the renderers see it. */
export const CREDENTIAL_KINDS = ["ssm", "userData", "federated"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/**
 * The vault SAS's permissions per sync mode (read, add, create, write, list; mirror mode also
 * deletes: it moves replaced and deleted blobs to archive/). rclone 1.60.1's copy needs exactly
 * racwl (toolchain.md); the engine's history (status/history/) needs no more: `c` or `w` to
 * create its append blob, `a` or `w` to append. Used by the SAS the program signs and the one the
 * engine mints.
 */
export const SAS_PERMISSIONS = { copy: "racwl", mirror: "racwdl" } as const;

/**
 * The audience Entra requires in a federated client assertion.
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
 */
export const ENTRA_TOKEN_AUDIENCE = "api://AzureADTokenExchange";

/** The AWS token's lifetime: it only has to reach Entra (sts:DurationSeconds is capped at this). */
export const WEB_IDENTITY_TOKEN_SECONDS = 300;

/** The signing algorithm the host asks STS for (Entra accepts RS256 client assertions). */
export const WEB_IDENTITY_SIGNING_ALGORITHM = "RS256";

/**
 * Federated mode's user-delegation SAS: valid 24 hours, renewed before any use (each rclone
 * batch, each vault request) with less than 23 hours left. So every batch starts with at least
 * 23 hours, the longest a run may last (the unit's TimeoutStartSec): no transfer, however large,
 * outlives its SAS. A leaked SAS is bound to the host's Elastic IP and stops working when the
 * identity's role assignment is removed (Azure checks it on every request).
 */
export const FEDERATED_SAS_SECONDS = 24 * 3600;
export const FEDERATED_SAS_RENEW_BELOW_SECONDS = 23 * 3600;

/** Entra's public-cloud authority and the Azure Storage scope. */
export const ENTRA_AUTHORITY = "https://login.microsoftonline.com";
export const STORAGE_SCOPE = "https://storage.azure.com/.default";

/** The credential kind a stack's mode and SAS delivery select. */
export function credentialKind(mode: CredentialMode, delivery: "ssm" | "userData"): CredentialKind {
  return mode === "federated" ? "federated" : delivery;
}

/** The compile-time exhaustiveness check for unions such as CredentialKind. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

/**
 * Data actions the host's identity needs on the backup container, per sync mode: list, read and
 * read properties, also as a copy source (blobs/read); put blocks, block lists, metadata and
 * properties (blobs/write); mirror mode also deletes (it moves replaced and deleted blobs to
 * archive/: a copy, then a delete). Nothing else: the history's append blobs (status/history/)
 * are created by Put Blob and grown by Append Block, which Azure authorizes with blobs/write or
 * blobs/add/action, so blobs/write covers them. The SAS's `a` and `w` cover Append Block the same
 * way. https://learn.microsoft.com/azure/role-based-access-control/permissions/storage
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-blob-service-operations
 */
export function containerDataActions(mode: "copy" | "mirror"): string[] {
  const blobs = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
  const actions = [`${blobs}/read`, `${blobs}/write`];
  return mode === "mirror" ? [...actions, `${blobs}/delete`] : actions;
}

/** The one action that lets the identity get a user delegation key (grants no data access). */
export const USER_DELEGATION_KEY_ACTION =
  "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action";
