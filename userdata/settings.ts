// Plain values every renderer works from. Built once from the validated stack config (and,
// for the SAS, from the vault) - renderers never see Pulumi Outputs.
import type { CredentialDelivery, SyncMode } from "../domain/modes";

export const APP = "cross-cloud-backup";
export const SCRIPT_PATH = `/usr/local/bin/${APP}-sync`;
export const CONFIG_DIR = `/etc/${APP}`;
export const RCLONE_CONFIG_PATH = `${CONFIG_DIR}/rclone.conf`;
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
  containerName: string;
  syncMode: SyncMode;
  maxDeletes: number;
  /** Mirror mode: the largest share of the vault (percent) one run may delete. */
  maxDeletePercent: number;
  credentialDelivery: CredentialDelivery;
  /** SSM SecureString holding the SAS URL (credentialDelivery "ssm"). */
  ssmParameterName: string;
  syncIntervalHours: number;
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
