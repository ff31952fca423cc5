// The vault's rules: what Azure would refuse at deploy time (or accept and then misbehave),
// checked before any resource exists. One home for each rule: AzureBackupVault throws these as
// an InputPropertiesError, and the config adapter reports them under the config keys.
import { AZURE_SOVEREIGN_REGIONS, azureRegion } from "./azureRegions";
import { LIMITS, MAX_IP_RULES } from "./limits";
import {
  redundancyNeeds,
  STORAGE_REDUNDANCIES,
  type StorageRedundancy,
  type SyncMode,
} from "./modes";
import { CMK_KEY_URI, STORAGE_ACCOUNT_NAME, USER_ASSIGNED_IDENTITY_ID } from "./naming";
import type { CredentialMode } from "./credentials";
import { cidrProblem } from "./network";
import { rangeProblem, type Problem } from "./problems";

/**
 * The account keys' expiration period (the account's keyPolicy): Azure flags a key not rotated
 * within it, and Azure Policy can audit or deny that. In SAS mode the SAS is signed with key1, so
 * no SAS the program issues may outlive one key period.
 */
export const ACCOUNT_KEY_EXPIRATION_DAYS = 90;

/** The longest SAS the program may issue (two rotation windows): one key period. */
export const MAX_SAS_LIFETIME_DAYS = ACCOUNT_KEY_EXPIRATION_DAYS;

/** The plain (non-Output) settings the vault's rules look at, named as AzureBackupVault's args. */
export interface VaultSettings {
  location: string;
  redundancy: StorageRedundancy;
  softDeleteRetentionDays: number;
  pointInTimeRestoreDays: number;
  immutabilityDays: number;
  immutabilityLocked: boolean;
  /** The existing account whose policy may be locked (the stack output vaultAccountName). */
  immutabilityLockAccount?: string;
  versionRetentionDays: number;
  syncMode: SyncMode;
  sasRotationDays: number;
  /** "sas": the program signs a SAS of two rotation windows with an account key. */
  credentialMode?: CredentialMode;
  vnetCidr: string;
  cmk?: { keyUri: string; identityId: string };
  /** How many IP rules the firewall gets (the host's Elastic IP included). */
  ipRuleCount: number;
  /** The firewall admits every network (engine datasync): no IP rule is needed then. */
  firewallOpen?: boolean;
  /** The subscription has been granted access to an access-restricted region. */
  restrictedRegionAccess?: boolean;
}

/** Every broken vault rule, all at once. */
export function vaultProblems(v: VaultSettings): Problem[] {
  const p: Problem[] = [];
  const add = (propertyPath: string, reason: string) => p.push({ propertyPath, reason });

  const region = azureRegion(v.location);
  if (AZURE_SOVEREIGN_REGIONS.includes(v.location))
    add(
      "location",
      `"${v.location}" is a sovereign-cloud region (Azure China or Azure Government); the vault targets Azure's public cloud (*.blob.core.windows.net, login.microsoftonline.com)`,
    );
  else if (region === undefined)
    add(
      "location",
      `"${v.location}" is not an Azure public-cloud region that offers storage accounts (lowercase name such as westeurope; see domain/azureRegions.ts)`,
    );
  if (region?.restricted && !v.restrictedRegionAccess)
    add(
      "location",
      `"${v.location}" is an access-restricted region: a subscription can deploy there only after Microsoft grants an access request (https://learn.microsoft.com/troubleshoot/azure/general/region-access-request-process). Choose another region, or set azureRestrictedRegionAccess to true once access is granted`,
    );
  if (!(STORAGE_REDUNDANCIES as readonly string[]).includes(v.redundancy))
    add("redundancy", `"${v.redundancy}" is not one of ${STORAGE_REDUNDANCIES.join(", ")}`);
  else if (region !== undefined) {
    // https://learn.microsoft.com/azure/storage/common/storage-redundancy (ZRS and GZRS regions)
    const needs = redundancyNeeds(v.redundancy);
    const zonesOk = region.zrs;
    const pairOk = needs.zones ? region.gzrs : region.grs;
    if ((needs.zones && !zonesOk) || (needs.pair && !pairOk))
      add(
        "redundancy",
        `${v.redundancy} is not offered in ${v.location} (${needs.zones && !zonesOk ? "the region has no availability zones" : "the region has no paired region for geo-replication"}); choose ${[
          "Standard_LRS",
          region.zrs ? "Standard_ZRS" : "",
          region.grs ? "Standard_GRS" : "",
          region.gzrs ? "Standard_GZRS" : "",
        ]
          .filter(Boolean)
          .join(", ")}, or another region`,
      );
  }

  p.push(
    ...rangeProblem(
      "softDeleteRetentionDays",
      v.softDeleteRetentionDays,
      LIMITS.softDeleteRetentionDays,
    ),
  );
  p.push(
    ...rangeProblem(
      "pointInTimeRestoreDays",
      v.pointInTimeRestoreDays,
      LIMITS.pointInTimeRestoreDays,
    ),
  );
  p.push(...rangeProblem("immutabilityDays", v.immutabilityDays, LIMITS.immutabilityDays));
  p.push(
    ...rangeProblem("versionRetentionDays", v.versionRetentionDays, LIMITS.versionRetentionDays),
  );
  p.push(...rangeProblem("sasRotationDays", v.sasRotationDays, LIMITS.sasRotationDays));
  // The account's SAS expiration policy blocks any SAS longer than two windows (ours, exactly),
  // and the keys that sign it are due for rotation every ACCOUNT_KEY_EXPIRATION_DAYS.
  if (v.credentialMode === "sas" && 2 * v.sasRotationDays > MAX_SAS_LIFETIME_DAYS)
    add(
      "sasRotationDays",
      `must be at most ${MAX_SAS_LIFETIME_DAYS / 2} in SAS mode, got ${v.sasRotationDays}: the SAS lives two rotation windows (${2 * v.sasRotationDays} days), longer than the ${MAX_SAS_LIFETIME_DAYS}-day expiration period of the account keys that sign it`,
    );

  // Point-in-time restore must be shorter than soft delete, and is not supported together with
  // version-level immutability.
  // https://learn.microsoft.com/azure/storage/blobs/point-in-time-restore-overview#limitations-and-known-issues
  if (v.pointInTimeRestoreDays > 0 && v.pointInTimeRestoreDays >= v.softDeleteRetentionDays)
    add(
      "pointInTimeRestoreDays",
      `must be less than softDeleteRetentionDays (${v.softDeleteRetentionDays}), got ${v.pointInTimeRestoreDays}`,
    );
  if (v.immutabilityDays > 0 && v.pointInTimeRestoreDays > 0)
    add(
      "pointInTimeRestoreDays",
      "cannot be combined with immutabilityDays (Azure does not support point-in-time restore on accounts with version-level immutability)",
    );
  // Lifecycle day counts stop at 99,999, WORM at 146,000: a longer WORM period needs the
  // longest retention a lifecycle rule can express.
  const minRetention = Math.min(v.immutabilityDays, LIMITS.versionRetentionDays.max);
  if (v.immutabilityDays > 0 && v.versionRetentionDays < minRetention)
    add(
      "versionRetentionDays",
      `must be at least immutabilityDays (${v.immutabilityDays}${minRetention < v.immutabilityDays ? `, capped at the lifecycle limit ${minRetention}` : ""}), got ${v.versionRetentionDays}: versions stay immutable that long, so a shorter retention could not be kept`,
    );
  // Azure refuses Delete Blob on a version under a time-based retention policy, and mirror mode
  // moves (copies, then deletes) replaced and deleted blobs into archive/.
  // https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
  if (v.syncMode === "mirror" && v.immutabilityDays > 0)
    add(
      "syncMode",
      `"mirror" cannot be combined with immutabilityDays (${v.immutabilityDays}): mirror mode moves deleted and replaced blobs to archive/, and Azure refuses to delete a blob version under a time-based retention policy, so every such run would fail. Use "copy" (it never deletes) with WORM`,
    );

  // Azure creates an account's version-level immutability policy only as Disabled or Unlocked;
  // locking is an update of an existing account. So the lock names the account it applies to,
  // which exists (and is known) only after the first deployment.
  // https://learn.microsoft.com/azure/storage/blobs/immutable-policy-configure-version-scope
  if (v.immutabilityLocked && v.immutabilityDays === 0)
    add("immutabilityLocked", "requires immutabilityDays > 0");
  else if (v.immutabilityLocked && v.immutabilityLockAccount === undefined)
    add(
      "immutabilityLocked",
      "needs immutabilityLockAccount: Azure creates a policy only Unlocked, so locking is a second step. Deploy with immutabilityLocked false, then set immutabilityLockAccount to the stack output vaultAccountName and immutabilityLocked to true, and run pulumi up again",
    );
  if (v.immutabilityLockAccount !== undefined) {
    if (!v.immutabilityLocked)
      add("immutabilityLockAccount", "is only used with immutabilityLocked: true");
    if (!STORAGE_ACCOUNT_NAME.test(v.immutabilityLockAccount))
      add(
        "immutabilityLockAccount",
        `"${v.immutabilityLockAccount}" is not a storage account name (3-24 lowercase letters and digits; the stack output vaultAccountName)`,
      );
  }

  if (v.cmk !== undefined) {
    if (!CMK_KEY_URI.test(v.cmk.keyUri))
      add(
        "cmk.keyUri",
        `is not a Key Vault key URI (https://<vault>.vault.azure.net/keys/<name>[/<version>]), got "${v.cmk.keyUri}"`,
      );
    if (!USER_ASSIGNED_IDENTITY_ID.test(v.cmk.identityId))
      add(
        "cmk.identityId",
        `is not a user-assigned identity resource id, got "${v.cmk.identityId}"`,
      );
  }
  const vnet = cidrProblem(v.vnetCidr);
  if (vnet) add("vnetCidr", `"${v.vnetCidr}" ${vnet}`);
  const minIpRules = v.firewallOpen === true ? 0 : 1;
  if (v.ipRuleCount < minIpRules || v.ipRuleCount > MAX_IP_RULES)
    add(
      "egressIps",
      `holds ${v.ipRuleCount} entries; Azure allows ${minIpRules} to ${MAX_IP_RULES} IP rules per storage account`,
    );
  return p;
}
