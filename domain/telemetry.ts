// What each run publishes (the engine's ccb/telemetry.py) and the alarms watch. One home for the
// names, so the engine, the alarms and their tests cannot drift apart.

/** The project's own CloudWatch namespace; the host may publish into it only. */
export const METRICS_NAMESPACE = "CrossCloudBackup";

/** Every run's metrics, dimension Stack = the stack name. */
export const METRICS = {
  /** 1 when the run backed up everything readable (success or partial), else 0. */
  heartbeat: "Heartbeat",
  runFailed: "RunFailed",
  runPartial: "RunPartial",
  skippedObjects: "SkippedObjects",
  objectsCopied: "ObjectsCopied",
  bytesCopied: "BytesCopied",
  durationSeconds: "DurationSeconds",
  /** SAS mode: seconds until the vault SAS expires. */
  credentialSecondsLeft: "CredentialSecondsLeft",
  /** Integrity check (--verify): objects missing, of the wrong size or content. */
  integrityMismatches: "IntegrityMismatches",
  /** Integrity check: 1 when the check itself could not run to the end. */
  integrityCheckFailed: "IntegrityCheckFailed",
  integrityObjectsChecked: "IntegrityObjectsChecked",
  integritySampledBytes: "IntegritySampledBytes",
  /** Integrity check: share of the vault read back within integrityCoverageDays. */
  integrityCoveredPercent: "IntegrityCoveredPercent",
  /** Restore drill (--drill): 1 when a restored object differed or the drill could not finish. */
  restoreDrillFailed: "RestoreDrillFailed",
  restoreDrillObjects: "RestoreDrillObjects",
  restoreDrillBytes: "RestoreDrillBytes",
} as const;

/**
 * The retention periods CloudWatch Logs accepts, in days.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** The log group that receives each run's summary (one stream per run id). */
export function logGroupName(stack: string): string {
  return `/cross-cloud-backup/${stack}`;
}

/**
 * The missed-backup alarm's window: hourly periods over the interval plus one hour of grace
 * (the timer's randomized delay and a long run), all of them without a heartbeat. The window
 * is interval + 1 h: at least one interval, at most twice the interval plus an hour, within
 * CloudWatch's 7-day limit for periods of an hour or more.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function missedBackupWindow(intervalHours: number): {
  periodSeconds: number;
  evaluationPeriods: number;
} {
  return { periodSeconds: 3600, evaluationPeriods: intervalHours + 1 };
}
