// Plain values every renderer works from. Built once from the validated stack config (and,
// for the SAS, from the vault) - renderers never see Pulumi Outputs.
import type { CredentialKind } from "../domain/credentials";
import type { CheckSchedule, SyncMode } from "../domain/modes";

export const APP = "cross-cloud-backup";
export const SCRIPT_PATH = `/usr/local/bin/${APP}-sync`;
export const CONFIG_DIR = `/etc/${APP}`;
export const RCLONE_CONFIG_PATH = `${CONFIG_DIR}/rclone.conf`;
/** Federated mode: the Entra identity the host presents its AWS token to (no secret in it). */
export const FEDERATION_CONFIG_PATH = `${CONFIG_DIR}/federation.json`;

/**
 * What the host needs to reach the vault, by credential kind, once the vault exists. Only
 * "userData" carries a secret (the SAS); "ssm" fetches it at run time; "federated" has none.
 */
export type VaultAccess =
  | { kind: "ssm" }
  | { kind: "userData"; sasUrl: string }
  | {
      kind: "federated";
      /** Entra tenant and the managed identity's client id. */
      tenantId: string;
      clientId: string;
      /** The vault account's blob endpoint, e.g. https://vaultab12cd34.blob.core.windows.net/ */
      blobEndpoint: string;
      /** Entra authority and STS endpoint; the defaults are the public clouds' (tests override). */
      authority?: string;
      stsEndpoint?: string;
      /** The host's egress IP: the SAS is bound to it (sip). */
      sasIp?: string;
      /** SAS lifetime and renewal threshold; the defaults are domain/credentials.ts's. */
      sasSeconds?: number;
      renewBelowSeconds?: number;
      /** Waits between attempts to mint (transient errors, propagation); tests shorten them. */
      retryDelaysSeconds?: number[];
    };
export const STATE_DIR = `/var/lib/${APP}`;
export const SERVICE_NAME = `${APP}.service`;
export const TIMER_NAME = `${APP}.timer`;

export interface SyncSettings {
  sourceBucket: string;
  /** "" or a prefix ending in "/". */
  sourcePrefix: string;
  sourceRegion: string;
  /** Set when the bucket uses SSE-KMS. */
  sourceKmsKeyArn?: string;
  /**
   * The account that owns the bucket (ExpectedBucketOwner on every S3 request the engine makes);
   * "" until SyncHost fills in the stack's own account.
   */
  sourceBucketOwner: string;
  containerName: string;
  syncMode: SyncMode;
  maxDeletes: number;
  /** Mirror mode: the largest share of the vault (percent) one run may delete. */
  maxDeletePercent: number;
  /** Mirror mode: the hours over which the deletion guard adds up deletions. */
  deletionWindowHours: number;
  /** How the host authenticates to the vault (domain/credentials.ts). */
  credential: CredentialKind;
  /** SSM SecureString holding the SAS URL (credential "ssm"). */
  ssmParameterName: string;
  /**
   * The vault container's URL without a query (https://<account>.blob.core.windows.net/<container>):
   * the only place a SAS read from SSM may point. "" until SyncHost fills it in from the vault.
   */
  vaultContainerUrl: string;
  syncIntervalHours: number;
  /** How often the host runs the integrity check ("off": on demand only). */
  integrityCheck: CheckSchedule;
  /** Objects the check compares byte for byte. */
  integritySampleObjects: number;
  /** Days within which the check reads every blob back once. */
  integrityCoverageDays: number;
  /** How often the host rehearses a restore ("off": on demand only), and how many objects. */
  restoreDrill: CheckSchedule;
  restoreDrillObjects: number;
  /**
   * The acknowledged skip list: shell-style patterns of keys (below the prefix; * matches '/'
   * too) whose skips are counted apart and keep a run fresh.
   */
  acceptedSkips: string[];
  /** The stack: the metrics' dimension. */
  stack: string;
  /** Where runs publish metrics and their summary ("" = not at all). */
  metricsNamespace: string;
  logGroup: string;
}

/** rclone paths of the source and the vault folders the script works on. */
export function remotePaths(s: SyncSettings): {
  root: string;
  source: string;
  dest: string;
  archive: string;
  status: string;
} {
  const prefix = s.sourcePrefix.replace(/\/$/, "");
  return {
    root: `vault:${s.containerName}`,
    source: `source:${s.sourceBucket}${prefix ? `/${prefix}` : ""}`,
    dest: `vault:${s.containerName}/data`,
    archive: `vault:${s.containerName}/archive`,
    status: `vault:${s.containerName}/status`,
  };
}
