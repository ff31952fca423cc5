// Storage invariants, on both sides:
// - AWS: the source bucket is never created or changed, so no S3 bucket resource of any kind;
// - Azure: the vault account is hardened (TLS 1.2, HTTPS only, no public blob access, firewall
//   default deny, infrastructure encryption, Shared Key off in federated mode), keeps versions and
//   soft-deleted blobs and containers, and sends its data-plane audit log to a workspace.
import { AUDIT_CATEGORIES } from "../domain/hostPermissions";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { CREDENTIAL_MODES, type CredentialMode } from "../domain/credentials";
import { LIMITS } from "../domain/limits";
import { ALERTED_OPERATIONS } from "../domain/vaultAlerts";
import { refersTo } from "./common";

const ACCOUNT = "azure-native:storage:StorageAccount";
const CONTAINER = "azure-native:storage:BlobContainer";
const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const ACTIVITY_LOG_ALERT = "azure-native:monitor:ActivityLogAlert";

/**
 * Every provider module that manages S3 buckets or what hangs off them (policies, notifications,
 * objects, access points, replication, ...): the program only references the existing bucket.
 */
const S3_MODULES = /^(aws:s3[\w-]*\/|aws-native:s3[\w-]*:|aws:s3control\/)/;

export const noS3Changes: ResourceValidationPolicy = {
  name: "no-s3-bucket-changes",
  description:
    "No resource creates or modifies an S3 bucket, its policy, notifications, objects or settings.",
  severity: "critical",
  validateResource: (args, report) => {
    if (S3_MODULES.test(args.type))
      report(
        `${args.type} would create or change S3 state; the source bucket is only read (see design decision 1)`,
      );
  },
};

/** Minimum TLS versions Azure accepts that are at least TLS 1.2. */
const TLS_OK = ["TLS1_2", "TLS1_3"];

export const accountTransport: ResourceValidationPolicy = {
  name: "vault-transport",
  description: "Storage accounts accept HTTPS only, with TLS 1.2 or newer.",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== ACCOUNT) return;
    if (!TLS_OK.includes(args.props.minimumTlsVersion as string))
      report(
        `minimumTlsVersion must be TLS1_2 or newer, got ${JSON.stringify(args.props.minimumTlsVersion)}`,
      );
    if (args.props.enableHttpsTrafficOnly !== true) report("enableHttpsTrafficOnly must be true");
  },
};

export const noPublicAccess: ResourceValidationPolicy = {
  name: "vault-no-public-access",
  description:
    "No anonymous blob access (account and containers) and a firewall that denies by default.",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type === ACCOUNT) {
      if (args.props.allowBlobPublicAccess !== false) report("allowBlobPublicAccess must be false");
      const rules = args.props.networkRuleSet as { defaultAction?: string } | undefined;
      if (rules?.defaultAction !== "Deny")
        report(
          `networkRuleSet.defaultAction must be "Deny", got ${JSON.stringify(rules?.defaultAction)}`,
        );
    } else if (args.type === CONTAINER) {
      const access = args.props.publicAccess as string | undefined;
      if (access !== undefined && access !== "None")
        report(`publicAccess must be "None", got "${access}"`);
    }
  },
};

export const infrastructureEncryption: ResourceValidationPolicy = {
  name: "vault-infrastructure-encryption",
  description: "Storage accounts encrypt twice at rest (requireInfrastructureEncryption).",
  severity: "medium",
  validateResource: (args, report) => {
    if (args.type !== ACCOUNT) return;
    const enc = args.props.encryption as { requireInfrastructureEncryption?: boolean } | undefined;
    if (enc?.requireInfrastructureEncryption !== true)
      report(
        "encryption.requireInfrastructureEncryption must be true (it can only be set when the account is created)",
      );
  },
};

export interface SharedKeyConfig {
  /** The stack's credentialMode: "federated" needs no account key at all. */
  credentialMode?: CredentialMode;
}

export const sharedKeyOff: ResourceValidationPolicy = {
  name: "vault-shared-key-off",
  description:
    "In federated mode the vault refuses Shared Key (account keys and account-key SAS); SAS mode needs it.",
  severity: "high",
  configSchema: {
    properties: {
      credentialMode: {
        type: "string",
        enum: [...CREDENTIAL_MODES],
        default: "federated",
        description: "The stack's credentialMode config value.",
      },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== ACCOUNT) return;
    const mode = args.getConfig<SharedKeyConfig>().credentialMode ?? "federated";
    if (mode === "federated" && args.props.allowSharedKeyAccess !== false)
      report("allowSharedKeyAccess must be false in federated mode (nothing signs with a key)");
  },
};

/** The storage accounts of a stack, with the names other resources refer to them by. */
function accounts(resources: PolicyResource[]): { account: PolicyResource; names: string[] }[] {
  return resources
    .filter((r) => r.type === ACCOUNT)
    .map((account) => ({
      account,
      names: [account.props.accountName, account.props.name].filter(
        (n): n is string => typeof n === "string" && n !== "",
      ),
    }));
}

interface RetentionPolicy {
  enabled?: boolean;
  days?: number;
  allowPermanentDelete?: boolean;
}

function retentionProblem(label: string, p: RetentionPolicy | undefined): string | undefined {
  const { min, max } = LIMITS.softDeleteRetentionDays;
  if (p?.enabled !== true) return `${label} must be enabled`;
  if (typeof p.days !== "number" || p.days < min || p.days > max)
    return `${label}.days must be ${min}-${max}, got ${JSON.stringify(p.days)}`;
  if (p.allowPermanentDelete === true) return `${label}.allowPermanentDelete must not be true`;
  return undefined;
}

export const blobDataProtection: StackValidationPolicy = {
  name: "vault-data-protection",
  description:
    "Every storage account has blob versioning, blob soft delete (no early purge) and container soft delete.",
  severity: "critical",
  validateStack: (args, report) => {
    for (const { account, names } of accounts(args.resources)) {
      const services = args.resources.filter(
        (r) => r.type === BLOB_SERVICE && refersTo(r, "accountName", account, names),
      );
      if (services.length === 0) {
        report("has no BlobServiceProperties: versioning and soft delete are off", account.urn);
        continue;
      }
      for (const s of services) {
        if (s.props.isVersioningEnabled !== true)
          report("blob versioning must be enabled (isVersioningEnabled)", s.urn);
        for (const [label, key] of [
          ["deleteRetentionPolicy", "deleteRetentionPolicy"],
          ["containerDeleteRetentionPolicy", "containerDeleteRetentionPolicy"],
        ] as const) {
          const problem = retentionProblem(label, s.props[key] as RetentionPolicy | undefined);
          if (problem) report(problem, s.urn);
        }
      }
    }
  },
};

/** The blob service's data-plane log categories (domain/hostPermissions.ts). */
export const AUDIT_LOG_CATEGORIES: readonly string[] = AUDIT_CATEGORIES;

interface LogSettings {
  category?: string;
  categoryGroup?: string;
  enabled?: boolean;
}

export const vaultDiagnostics: StackValidationPolicy = {
  name: "vault-diagnostics",
  description:
    "Every storage account's blob service sends StorageRead, StorageWrite and StorageDelete logs to a destination.",
  severity: "high",
  validateStack: (args, report) => {
    for (const { account, names } of accounts(args.resources)) {
      const settings = args.resources.filter(
        (r) =>
          r.type === DIAGNOSTIC_SETTING &&
          refersTo(
            r,
            "resourceUri",
            account,
            names.map((n) => `/storageAccounts/${n}/`),
          ) &&
          /\/blobServices\/default$/i.test(String(r.props.resourceUri)),
      );
      const covered = new Set<string>();
      for (const s of settings) {
        const hasDestination = ["workspaceId", "storageAccountId", "eventHubAuthorizationRuleId"]
          .map((k) => s.props[k] as unknown)
          .some((v) => typeof v === "string" && v !== "");
        if (!hasDestination) continue;
        for (const l of (s.props.logs ?? []) as LogSettings[]) {
          if (l.enabled !== true) continue;
          if (l.categoryGroup === "allLogs" || l.categoryGroup === "audit")
            AUDIT_LOG_CATEGORIES.forEach((c) => covered.add(c));
          if (l.category !== undefined) covered.add(l.category);
        }
      }
      const missing = AUDIT_LOG_CATEGORIES.filter((c) => !covered.has(c));
      if (missing.length > 0)
        report(
          `no diagnostic setting on its blob service sends ${missing.join(", ")} to a workspace, storage account or event hub`,
          account.urn,
        );
    }
  },
};

export const noTrustedServicesBypass: ResourceValidationPolicy = {
  name: "vault-no-firewall-bypass",
  description:
    "The vault's firewall lets no Azure service past its IP rules (networkRuleSet.bypass \"None\"; Azure's default is AzureServices).",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== ACCOUNT) return;
    const rules = args.props.networkRuleSet as { bypass?: string } | undefined;
    // Azure treats an absent bypass as AzureServices.
    const bypass = rules?.bypass ?? "AzureServices";
    if (/azureservices/i.test(bypass))
      report(
        `networkRuleSet.bypass must not include AzureServices (got ${JSON.stringify(rules?.bypass)}; unset means AzureServices): the vault uses no feature that needs trusted Azure services past its firewall`,
      );
  },
};

export interface ImmutabilityConfig {
  /** Every vault must have version-level WORM (immutableStorageWithVersioning). */
  requireWorm?: boolean;
  /**
   * The vault account this stack has already deployed (the stack output vaultAccountName): from
   * then on its WORM policy must be Locked. Empty until the first deployment, because Azure
   * creates a policy only Unlocked.
   */
  lockedAccount?: string;
}

interface WormSettings {
  enabled?: boolean;
  immutabilityPolicy?: { immutabilityPeriodSinceCreationInDays?: number; state?: string };
}

export const vaultImmutability: ResourceValidationPolicy = {
  name: "vault-immutability-locked",
  description:
    "Where configured (prod), every vault has version-level WORM, and once the stack has deployed its vault (lockedAccount), the WORM policy is Locked.",
  severity: "critical",
  configSchema: {
    properties: {
      requireWorm: {
        type: "boolean",
        default: false,
        description: "Every vault must have version-level WORM (prod).",
      },
      lockedAccount: {
        type: "string",
        default: "",
        description:
          "The deployed vault's account name (stack output vaultAccountName); its WORM policy must be Locked. Empty before the first deployment.",
      },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== ACCOUNT) return;
    const cfg = args.getConfig<ImmutabilityConfig>();
    const worm = args.props.immutableStorageWithVersioning as WormSettings | undefined;
    const enabled = worm?.enabled === true && worm.immutabilityPolicy !== undefined;
    const state = enabled ? (worm.immutabilityPolicy?.state ?? "Unlocked") : "Disabled";
    const name: unknown = args.props.accountName;
    const bootstrapped =
      cfg.lockedAccount !== undefined && cfg.lockedAccount !== "" && name === cfg.lockedAccount;
    if (cfg.requireWorm === true && !enabled)
      report(
        "version-level WORM (immutableStorageWithVersioning) must be enabled: set immutabilityDays",
      );
    if (bootstrapped && state !== "Locked")
      report(
        `the WORM policy of ${cfg.lockedAccount} must be Locked, got ${state}: the vault is deployed (the policy config names it in lockedAccount), so set immutabilityLocked true and immutabilityLockAccount "${cfg.lockedAccount}" in the stack config`,
      );
  },
};

interface AlertCondition {
  field?: string;
  equals?: string;
  containsAny?: string[];
  anyOf?: AlertCondition[];
}

/** The operation names an alert condition matches (leaf equals/containsAny, or anyOf). */
function operationsOf(c: AlertCondition): string[] {
  if (c.anyOf !== undefined) return c.anyOf.flatMap(operationsOf);
  if (c.field?.toLowerCase() !== "operationname") return [];
  return [...(c.equals !== undefined ? [c.equals] : []), ...(c.containsAny ?? [])];
}

export const vaultActivityAlerts: StackValidationPolicy = {
  name: "vault-activity-alerts",
  description:
    "A stack with a vault has enabled Activity Log alerts, with an action group, on every control-plane operation that can weaken it (account writes, immutability policies, locks, role assignments, account keys).",
  severity: "high",
  validateStack: (args, report) => {
    const account = args.resources.find((r) => r.type === ACCOUNT);
    if (account === undefined) return;
    const covered = new Set<string>();
    for (const alert of args.resources.filter((r) => r.type === ACTIVITY_LOG_ALERT)) {
      if (alert.props.enabled === false) continue;
      const actions = alert.props.actions as { actionGroups?: unknown[] } | undefined;
      if ((actions?.actionGroups ?? []).length === 0) continue;
      const all = (alert.props.condition as { allOf?: AlertCondition[] } | undefined)?.allOf ?? [];
      if (
        !all.some(
          (c) =>
            c.field?.toLowerCase() === "category" && c.equals?.toLowerCase() === "administrative",
        )
      )
        continue;
      for (const op of all.flatMap(operationsOf)) covered.add(op.toLowerCase());
    }
    const missing = ALERTED_OPERATIONS.filter((op) => !covered.has(op.toLowerCase()));
    if (missing.length > 0)
      report(
        `no enabled Administrative Activity Log alert with an action group covers ${missing.join(", ")}`,
        account.urn,
      );
  },
};

export const storagePolicies = [
  noS3Changes,
  accountTransport,
  noPublicAccess,
  infrastructureEncryption,
  sharedKeyOff,
  blobDataProtection,
  vaultDiagnostics,
  noTrustedServicesBypass,
  vaultImmutability,
  vaultActivityAlerts,
];
