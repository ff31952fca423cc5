import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import { ManagementLockAtResourceGroupLevel } from "@pulumi/azure-native/authorization";
import { RandomString } from "@pulumi/random/randomString";
import { CONTAINER_NAME, VAULT_FOLDERS } from "../domain/layout";
import type { CredentialMode } from "../domain/credentials";
import type { StorageRedundancy, SyncMode } from "../domain/modes";
import type { Problem } from "../domain/problems";
import { ACCOUNT_KEY_EXPIRATION_DAYS, vaultProblems } from "../domain/vault";
import { sasWindow } from "../domain/sasWindow";
import { sasPermissions } from "./vaultSas";
import { createVaultPrivateEndpoint } from "./vaultNetwork";

export interface AzureBackupVaultArgs {
  /** Azure region of every regional resource (e.g. "westeurope"). */
  location: string;
  /** Storage account SKU. */
  redundancy: StorageRedundancy;
  /** Days deleted blobs, versions and containers stay recoverable (1-365). */
  softDeleteRetentionDays: number;
  /** Days of point-in-time restore; 0 = off. Must be below softDeleteRetentionDays. */
  pointInTimeRestoreDays: number;
  /** Version-level WORM retention in days for every blob version; 0 = off. */
  immutabilityDays: number;
  /** Lock the WORM policy (irreversible). Requires immutabilityDays > 0. */
  immutabilityLocked: boolean;
  /**
   * The existing account the lock applies to. Azure creates a policy only Unlocked, so the
   * policy is sent as Locked only when this equals the account's name, i.e. on an update of an
   * account that exists.
   */
  immutabilityLockAccount?: string;
  /**
   * Days mirror mode's archive/ and old run summaries (status/ versions) are kept before the
   * lifecycle policy deletes them; never shorter than immutabilityDays. Versions under data/
   * are never expired.
   */
  versionRetentionDays: number;
  /** A CanNotDelete management lock on the vault's resource group. */
  deleteLock: boolean;
  /** Customer-managed key: Key Vault key URI and the user-assigned identity allowed to use it. */
  cmk?: { keyUri: string; identityId: string };
  /** Public IPs/CIDRs let through the firewall: the sync host's Elastic IP (+ config allowedIps). */
  egressIps: pulumi.Input<string>[];
  /**
   * Admit every network (default action Allow): engine datasync, whose agentless transfers come
   * from addresses AWS does not publish. Access then rests on the SAS alone. Default false.
   */
  openFirewall?: boolean;
  /**
   * The single IP the SAS is bound to (the sync host's Elastic IP). Unset, the SAS is valid from
   * any address: only for engine datasync, whose addresses are not known.
   */
  sasIp?: pulumi.Input<string>;
  /** Address space of the VNet that holds the private endpoint. */
  vnetCidr: string;
  /**
   * "federated": the account disallows Shared Key and no SAS is minted here (the host gets a
   * user-delegation SAS per run through its federated identity); "sas": a service SAS.
   */
  credentialMode: CredentialMode;
  /** "copy" never deletes in the vault, so its SAS has no delete permission. */
  syncMode: SyncMode;
  /** Length of the SAS rotation window in days (1-180); the SAS lives two windows. */
  sasRotationDays: number;
  /** Clock for the SAS window; defaults to new Date(). Tests pin it. */
  now?: Date;
  tags?: Record<string, string>;
}

export { CONTAINER_NAME };
/** Random suffix length: storage account names are global across all of Azure. */
const SUFFIX_LENGTH = 8;

/** Every broken rule in the vault's arguments (domain/vault.ts), as property paths. */
export function vaultArgsProblems(args: AzureBackupVaultArgs): Problem[] {
  return vaultProblems({
    ...args,
    ipRuleCount: args.egressIps.length,
    firewallOpen: args.openFirewall,
  });
}

/**
 * The policy state to send: "Locked" only for the account the lock names (so only on an update
 * of an existing account; Azure refuses to create a locked policy), else "Unlocked".
 */
export function immutabilityState(
  args: Pick<AzureBackupVaultArgs, "immutabilityLocked" | "immutabilityLockAccount">,
  accountName: string,
): "Locked" | "Unlocked" {
  return args.immutabilityLocked && args.immutabilityLockAccount === accountName
    ? "Locked"
    : "Unlocked";
}

/** Splits "https://<vault>.vault.azure.net/keys/<name>[/<version>]" as the account expects it. */
export function splitKeyUri(keyUri: string): {
  keyVaultUri: string;
  keyName: string;
  keyVersion?: string;
} {
  const m = /^(https:\/\/[^/]+)\/keys\/([a-zA-Z0-9-]{1,127})(?:\/([0-9a-fA-F]{32}))?\/?$/.exec(
    keyUri,
  );
  if (!m) throw new Error(`cmk.keyUri "${keyUri}" is not a Key Vault key URI`);
  // Without a version the account follows the key's newest version (automatic key rotation).
  return { keyVaultUri: m[1], keyName: m[2], keyVersion: m[3] };
}

/** A sasPolicy period ("D.HH:MM:SS") of whole days. */
export function sasExpirationPeriod(days: number): string {
  return `${days}.00:00:00`;
}

/** The storage account name prefix derived from a component name (lowercase letters/digits). */
export function accountNamePrefix(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 24 - SUFFIX_LENGTH);
}

/**
 * A hardened Azure storage account (the backup vault) with one private container, versioning and
 * soft delete, optional version-level WORM and CMK, a default-deny firewall open only to the sync
 * host, a private endpoint for Azure-side consumers, and a container-scoped, IP-bound, expiring
 * SAS for the sync host.
 */
export class AzureBackupVault extends pulumi.ComponentResource {
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly resourceGroupId: pulumi.Output<string>;
  public readonly storageAccountId: pulumi.Output<string>;
  public readonly accountName: pulumi.Output<string>;
  public readonly containerName: pulumi.Output<string>;
  public readonly blobEndpoint: pulumi.Output<string>;
  public readonly privateEndpointId: pulumi.Output<string>;
  /** SAS mode: the container URL with the SAS token appended. Always a secret. */
  public readonly sasUrl: pulumi.Output<string> | undefined;
  /** When the current SAS expires (ISO 8601, UTC); not secret. */
  public readonly sasExpiry: string | undefined;
  /** The WORM policy's state as Azure reports it: Disabled (no WORM), Unlocked or Locked. */
  public readonly immutabilityPolicyState: pulumi.Output<string>;

  constructor(name: string, args: AzureBackupVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:azure:AzureBackupVault", name, {}, opts);

    const problems = vaultArgsProblems(args);
    if (problems.length > 0)
      throw new pulumi.InputPropertiesError({
        message: `AzureBackupVault "${name}": invalid arguments:\n${problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n")}`,
        errors: problems,
      });

    const window = sasWindow(args.now ?? new Date(), args.sasRotationDays);
    const cmk = args.cmk
      ? { ...splitKeyUri(args.cmk.keyUri), identityId: args.cmk.identityId }
      : undefined;
    const worm = args.immutabilityDays > 0;
    const pitr = args.pointInTimeRestoreDays > 0;

    const rg = new resources.ResourceGroup(
      `${name}-rg`,
      { location: args.location, tags: args.tags },
      // The backup must never disappear with a `pulumi destroy`, a rename or a replacing change:
      // the group, the account and the container are protected (see README: tearing down).
      { parent: this, protect: true },
    );

    const suffix = new RandomString(
      `${name}-suffix`,
      { length: SUFFIX_LENGTH, lower: true, numeric: true, upper: false, special: false },
      { parent: this },
    );

    const accountName = pulumi.interpolate`${accountNamePrefix(name)}${suffix.result}`;
    const account = new storage.StorageAccount(
      `${name}-account`,
      {
        resourceGroupName: rg.name,
        location: args.location,
        accountName,
        kind: "StorageV2",
        sku: { name: args.redundancy },
        accessTier: "Hot",
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        allowBlobPublicAccess: false,
        allowCrossTenantReplication: false,
        isLocalUserEnabled: false,
        isSftpEnabled: false,
        // Federated mode needs no key at all: Shared Key (and every account-key SAS) is refused.
        // SAS mode is the one exception: its service SAS is signed with an account key.
        allowSharedKeyAccess: args.credentialMode === "sas",
        // Portal and tools default to Entra ID rather than the keys.
        defaultToOAuthAuthentication: true,
        // Public network access stays on so the AWS host can reach the account at all; the
        // firewall below admits only the listed IPs (and the private endpoint).
        publicNetworkAccess: "Enabled",
        networkRuleSet: {
          // Deny unless the managed engine needs every network (docs/scale.md, the trade-off).
          defaultAction: args.openFirewall === true ? "Allow" : "Deny",
          // No trusted-service exception: nothing the vault uses needs one. Only Azure services
          // that reach the data plane through the firewall would (blob inventory, backup vaults,
          // Event Grid dead-lettering, ...); diagnostic settings, lifecycle management and
          // Defender's activity monitoring do not. See docs/vault.md (Network model).
          bypass: "None",
          ipRules: args.egressIps.map((ip) => ({ iPAddressOrRange: ip, action: "Allow" as const })),
          virtualNetworkRules: [],
        },
        // Account keys are due for rotation every ACCOUNT_KEY_EXPIRATION_DAYS (Azure flags an
        // older key; Azure Policy can audit or deny it). Federated mode cannot use them at all.
        keyPolicy: { keyExpirationPeriodInDays: ACCOUNT_KEY_EXPIRATION_DAYS },
        // Block any account-key SAS that lives longer than ours (two rotation windows; in SAS
        // mode at most one key period, domain/vault.ts).
        sasPolicy: {
          expirationAction: "Block",
          sasExpirationPeriod: sasExpirationPeriod(2 * args.sasRotationDays),
        },
        encryption: {
          // Double encryption at rest; can only be chosen when the account is created.
          requireInfrastructureEncryption: true,
          keySource: cmk ? "Microsoft.Keyvault" : "Microsoft.Storage",
          keyVaultProperties: cmk
            ? { keyVaultUri: cmk.keyVaultUri, keyName: cmk.keyName, keyVersion: cmk.keyVersion }
            : undefined,
          encryptionIdentity: cmk ? { encryptionUserAssignedIdentity: cmk.identityId } : undefined,
          services: { blob: { enabled: true, keyType: "Account" } },
        },
        identity: cmk
          ? { type: "UserAssigned", userAssignedIdentities: [cmk.identityId] }
          : undefined,
        // Version-level WORM for every blob version, set on the account (Azure supports the
        // account-level default only on new accounts). Azure creates a policy only as Unlocked;
        // locking is a later update. See docs/vault.md before turning either on.
        immutableStorageWithVersioning: worm
          ? {
              enabled: true,
              immutabilityPolicy: {
                immutabilityPeriodSinceCreationInDays: args.immutabilityDays,
                state: accountName.apply((n) => {
                  const state = immutabilityState(args, n);
                  if (args.immutabilityLocked && state !== "Locked")
                    void pulumi.log.warn(
                      `immutabilityLockAccount is "${args.immutabilityLockAccount}" but this stack's vault is "${n}": the immutability policy stays Unlocked. Set immutabilityLockAccount to the stack output vaultAccountName.`,
                      this,
                    );
                  return state;
                }),
                // The engine's history (status/history/, domain/layout.ts) is append blobs that
                // grow by Append Block; under the policy only this lets a protected append blob
                // take new blocks. Existing blocks stay immutable, and block blobs (data/) are
                // unaffected. Azure lets it change only while the policy is not Locked.
                // https://learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview#allow-protected-append-blobs-writes
                allowProtectedAppendWrites: true,
              },
            }
          : undefined,
        tags: args.tags,
      },
      { parent: this, protect: true },
    );

    const blobService = new storage.BlobServiceProperties(
      `${name}-blob-service`,
      {
        resourceGroupName: rg.name,
        accountName: account.name,
        blobServicesName: "default",
        // Every overwrite keeps the previous version; deletes become recoverable versions.
        isVersioningEnabled: true,
        deleteRetentionPolicy: {
          enabled: true,
          days: args.softDeleteRetentionDays,
          // Nobody, not even with the keys, may purge soft-deleted blobs or versions early.
          allowPermanentDelete: false,
        },
        containerDeleteRetentionPolicy: { enabled: true, days: args.softDeleteRetentionDays },
        // Point-in-time restore needs the change feed; without it the feed only adds cost.
        // Both are set explicitly when off so that turning them off later takes effect.
        changeFeed: pitr
          ? { enabled: true, retentionInDays: args.softDeleteRetentionDays }
          : { enabled: false },
        restorePolicy: pitr
          ? { enabled: true, days: args.pointInTimeRestoreDays }
          : { enabled: false },
      },
      { parent: this },
    );

    // Created after the blob service settings, so no blob can land before versioning and soft
    // delete are on (the SAS depends on the container, and with it the sync host).
    const container = new storage.BlobContainer(
      `${name}-container`,
      {
        resourceGroupName: rg.name,
        accountName: account.name,
        containerName: CONTAINER_NAME,
        publicAccess: "None",
      },
      { parent: this, dependsOn: [blobService], protect: true },
    );

    // Retention as documented. Azure counts a previous version's age from when its content was
    // written, not from when it was replaced, so a rule on data/ versions could delete the only
    // good copy of an old object a day after a bad overwrite: previous versions under data/ are
    // never expired by the policy. What it expires after versionRetentionDays: mirror mode's
    // archive/ (counted from when a blob was archived) and old run summaries under status/.
    // Both rules match block blobs only: the history's append blobs (status/history/) are the
    // audit trail and are kept, like data/.
    // https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview
    // Rule names: letters and digits only.
    const days = args.versionRetentionDays;
    new storage.ManagementPolicy(
      `${name}-lifecycle`,
      {
        resourceGroupName: rg.name,
        accountName: account.name,
        // The only name Azure accepts for an account's lifecycle policy.
        managementPolicyName: "default",
        policy: {
          rules: [
            {
              name: "expireArchive",
              enabled: true,
              type: "Lifecycle",
              definition: {
                filters: {
                  blobTypes: ["blockBlob"],
                  prefixMatch: [`${CONTAINER_NAME}/${VAULT_FOLDERS.archive}`],
                },
                actions: {
                  baseBlob: { delete: { daysAfterModificationGreaterThan: days } },
                  version: { delete: { daysAfterCreationGreaterThan: days } },
                },
              },
            },
            {
              name: "expireOldRunSummaries",
              enabled: true,
              type: "Lifecycle",
              definition: {
                filters: {
                  blobTypes: ["blockBlob"],
                  prefixMatch: [`${CONTAINER_NAME}/${VAULT_FOLDERS.status}`],
                },
                actions: { version: { delete: { daysAfterCreationGreaterThan: days } } },
              },
            },
          ],
        },
      },
      { parent: this, dependsOn: [blobService, container] },
    );

    if (args.deleteLock) {
      // Nobody deletes the vault outside Pulumi by accident (portal, CLI, a stray script): the
      // lock must be removed first, which needs Microsoft.Authorization/locks/delete (Owner or
      // User Access Administrator). Data-plane operations are not affected.
      new ManagementLockAtResourceGroupLevel(
        `${name}-delete-lock`,
        {
          resourceGroupName: rg.name,
          lockName: "cross-cloud-backup-vault",
          level: "CanNotDelete",
          notes: "The cross-cloud-backup vault. Remove this lock only to retire the backup.",
        },
        { parent: this, dependsOn: [account, container] },
      );
    }

    const net = createVaultPrivateEndpoint(
      name,
      {
        resourceGroupName: rg.name,
        location: args.location,
        vnetCidr: args.vnetCidr,
        storageAccountId: account.id,
        tags: args.tags,
      },
      this,
    );

    // SAS mode: a container-scoped service SAS, HTTPS only, bound to the host's IP (engine
    // datasync has no known IP: its SAS is unbound), delete only in mirror mode, valid for the
    // current and the next rotation window. Federated mode makes no key or SAS call at all (a
    // read-only identity can preview it). A preview never mints one either: whoever can preview
    // (a pull request's code) must not get a SAS, so the preview identity has no listServiceSas
    // and the SAS is unknown until `pulumi up`.
    const sas =
      args.credentialMode !== "sas"
        ? undefined
        : pulumi.runtime.isDryRun()
          ? { serviceSasToken: account.name.apply(() => pulumi.unknown as unknown as string) }
          : storage.listStorageAccountServiceSASOutput(
              {
                resourceGroupName: rg.name,
                accountName: account.name,
                canonicalizedResource: pulumi.interpolate`/blob/${account.name}/${container.name}`,
                resource: "c",
                permissions: sasPermissions(args.syncMode),
                protocols: "https",
                iPAddressOrRange: args.sasIp,
                sharedAccessStartTime: window.start,
                sharedAccessExpiryTime: window.expiry,
                keyToSign: "key1",
              },
              { parent: this },
            );

    this.resourceGroupName = rg.name;
    this.resourceGroupId = rg.id;
    this.storageAccountId = account.id;
    this.accountName = account.name;
    this.containerName = container.name;
    this.blobEndpoint = account.primaryEndpoints.blob;
    this.privateEndpointId = net.privateEndpointId;
    this.sasUrl = sas
      ? pulumi.secret(
          pulumi.interpolate`${account.primaryEndpoints.blob}${container.name}?${sas.serviceSasToken}`,
        )
      : undefined;
    this.sasExpiry = sas ? window.expiry : undefined;
    this.immutabilityPolicyState = account.immutableStorageWithVersioning.apply(
      (i) => i?.immutabilityPolicy?.state ?? "Disabled",
    );
    this.registerOutputs({
      immutabilityPolicyState: this.immutabilityPolicyState,
      resourceGroupName: this.resourceGroupName,
      storageAccountId: this.storageAccountId,
      accountName: this.accountName,
      containerName: this.containerName,
      blobEndpoint: this.blobEndpoint,
      privateEndpointId: this.privateEndpointId,
      sasUrl: this.sasUrl,
      sasExpiry: this.sasExpiry,
    });
  }
}
