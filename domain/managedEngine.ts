// What copies the backup: our own engine on one host, or an existing managed transfer service
// writing into the same vault (design decision 15). The rules a managed engine must follow to
// keep the backup's guarantees live here, with no Pulumi import: the config adapter reports them
// under the keys the user wrote, the component builds its task from them, and the policy pack
// checks the task against them. docs/scale.md explains the choice and what differs.
import type { CheckSchedule, SyncMode } from "./modes";
import type { CredentialMode } from "./credentials";
import type { Problem } from "./problems";

/**
 * "host": the EC2 sync host and our engine (the default). "datasync": AWS DataSync in Enhanced
 * mode, agentless, into the vault's data/. "storageMover": Azure Storage Mover's S3 path, which
 * the pinned providers cannot provision yet (see STORAGE_MOVER_UNAVAILABLE).
 */
export const ENGINES = ["host", "datasync", "storageMover"] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * Why engine "storageMover" is refused at preview. @pulumi/azure-native 3.28.0 generates
 * storagemover from API 2024-07-01, whose endpoints are Azure blob containers, SMB and NFS only;
 * the AWS S3 source (a multicloud connector endpoint) arrived in API 2025-07-01, and recurring job
 * schedules are a preview feature with daily, weekly or monthly runs only.
 * https://learn.microsoft.com/azure/storage-mover/cloud-to-cloud-migration
 * https://learn.microsoft.com/azure/storage-mover/job-scheduling
 */
export const STORAGE_MOVER_UNAVAILABLE =
  'cannot be provisioned by this program yet: the pinned @pulumi/azure-native 3.28.0 manages Storage Mover through API 2024-07-01, which has no AWS S3 (multicloud connector) source endpoint, and Storage Mover\'s job schedules (a preview) run at most daily, not every syncIntervalHours. Use "host" or "datasync" (docs/scale.md compares them)';

/**
 * DataSync never runs a scheduled task more often than once an hour.
 * https://docs.aws.amazon.com/datasync/latest/userguide/task-scheduling.html
 */
export const DATASYNC_MIN_SCHEDULE_HOURS = 1;

/**
 * The characters a DataSync schedule expression may hold, and its length (TaskSchedule).
 * https://docs.aws.amazon.com/datasync/latest/userguide/API_TaskSchedule.html
 */
export const DATASYNC_SCHEDULE_PATTERN = /^[a-zA-Z0-9 _*?,|^\-/#\s()+]*$/;
export const DATASYNC_SCHEDULE_MAX_LENGTH = 256;

/**
 * The DataSync schedule for "every N hours" (N divides 24), at the same hours as the host's
 * timer: on the hour, from midnight UTC. An EventBridge cron expression (minutes, hours,
 * day-of-month, month, day-of-week, year; one of the two day fields must be "?").
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 */
export function datasyncSchedule(intervalHours: number): string {
  if (
    !Number.isInteger(intervalHours) ||
    intervalHours < DATASYNC_MIN_SCHEDULE_HOURS ||
    intervalHours > 24 ||
    24 % intervalHours !== 0
  )
    throw new Error(
      `intervalHours must be a whole number of hours from ${DATASYNC_MIN_SCHEDULE_HOURS} (DataSync's shortest schedule) to 24 that divides 24, got ${intervalHours}`,
    );
  return intervalHours === 24 ? "cron(0 0 * * ? *)" : `cron(0 0/${intervalHours} * * ? *)`;
}

/**
 * The task options copy mode needs, and why each. Options the backup does not depend on keep
 * DataSync's defaults. https://docs.aws.amazon.com/datasync/latest/userguide/API_Options.html
 */
export const DATASYNC_TASK_OPTIONS = {
  /** Copy mode never deletes in the vault: a blob whose source object is gone stays. */
  preserveDeletedFiles: "PRESERVE",
  /**
   * Every modified object replaces its blob (the vault keeps the previous version). "NEVER" would
   * leave a changed object's old copy in place for good: a backup that silently misses changes.
   */
  overwriteMode: "ALWAYS",
  /** Only what differs is copied (the full scan is DataSync's, not ours). */
  transferMode: "CHANGED",
  /**
   * Enhanced mode verifies what it transferred (a checksum read back from the destination); a
   * full-scan verification is not offered in Enhanced mode, and "NONE" would verify nothing.
   */
  verifyMode: "ONLY_FILES_TRANSFERRED",
  /** A structured log line for every object transferred or verified, and every error. */
  logLevel: "TRANSFER",
  /**
   * Enhanced mode fails the whole execution when it cannot copy object tags; the vault's SAS
   * grants no tag permission, and the backup does not keep tags (nor does the host engine).
   */
  objectTags: "NONE",
  /** A scheduled execution that finds the previous one running waits instead of failing. */
  taskQueueing: "ENABLED",
} as const;

/** Where DataSync writes in the vault's container: the folder the host engine writes to. */
export const DATASYNC_VAULT_SUBDIRECTORY = "/data/";

/** The settings the managed engine's rules look at, named as their config keys. */
export interface EngineSettings {
  engine: Engine;
  syncMode: SyncMode;
  credentialMode: CredentialMode;
  openVaultFirewall: boolean;
  integrityCheck: CheckSchedule;
  restoreDrill: CheckSchedule;
}

/** Every rule the chosen engine breaks, each under the config key to change. */
export function engineProblems(v: EngineSettings): Problem[] {
  const p: Problem[] = [];
  const add = (propertyPath: string, reason: string) => p.push({ propertyPath, reason });

  if (v.engine === "storageMover") add("engine", `"storageMover" ${STORAGE_MOVER_UNAVAILABLE}`);
  if (v.engine !== "datasync") {
    if (v.openVaultFirewall)
      add(
        "openVaultFirewall",
        `applies to engine "datasync" only; with engine "${v.engine}" the vault's firewall admits the sync host's Elastic IP and allowedIps, nothing else`,
      );
    return p;
  }
  // https://docs.aws.amazon.com/datasync/latest/userguide/API_Options.html (PreserveDeletedFiles)
  if (v.syncMode === "mirror")
    add(
      "syncMode",
      '"mirror" cannot be combined with engine "datasync": DataSync\'s PreserveDeletedFiles REMOVE deletes every blob whose source object is gone at once, with no deletion guard (maxDeletes, maxDeletePercent, deletionWindowHours) and nothing kept in archive/. Use "copy" (DataSync then never deletes: PreserveDeletedFiles PRESERVE)',
    );
  // https://docs.aws.amazon.com/datasync/latest/userguide/creating-azure-blob-location.html
  if (v.credentialMode !== "sas")
    add(
      "credentialMode",
      'must be "sas" with engine "datasync": DataSync authenticates to Azure Blob Storage with a SAS token only (no Entra identity, no federation), so the vault keeps Shared Key on and the program signs a container SAS for it (kept in AWS Secrets Manager, renewed by pulumi up every sasRotationDays)',
    );
  if (!v.openVaultFirewall)
    add(
      "openVaultFirewall",
      'must be true with engine "datasync", to accept the trade-off: agentless DataSync writes from AWS-managed addresses that AWS does not publish, so the vault\'s firewall must admit every network and the SAS (HTTPS only, one container, no delete, expiring) is the only guard (docs/scale.md)',
    );
  for (const key of ["integrityCheck", "restoreDrill"] as const)
    if (v[key] !== "off")
      add(
        key,
        `must be "off" with engine "datasync" (got "${v[key]}"): the host's ${key === "integrityCheck" ? "integrity check" : "restore drill"} verifies each blob against the content record the host engine writes, which DataSync does not write, and engine "datasync" runs no host. DataSync verifies every object it transfers instead (VerifyMode ONLY_FILES_TRANSFERRED); docs/scale.md says what differs`,
      );
  return p;
}

/**
 * The EventBridge pattern for this task's executions ending in one of `states` ("SUCCESS",
 * "ERROR"). DataSync sends "DataSync Task Execution State Change" events directly, best effort;
 * an execution's ARN is the task's ARN followed by /execution/<id>.
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-datasync.html
 */
export function datasyncExecutionPattern(taskArn: string, states: readonly string[]): object {
  return {
    source: ["aws.datasync"],
    "detail-type": ["DataSync Task Execution State Change"],
    resources: [{ prefix: `${taskArn}/execution/` }],
    detail: { State: [...states] },
  };
}
