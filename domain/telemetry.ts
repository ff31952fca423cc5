// What each run publishes (the engine's ccb/telemetry.py) and the alarms watch. One home for the
// names, so the engine, the alarms and their tests cannot drift apart.
import { LIMITS } from "./limits";
import { staleAfterDays, type CheckSchedule } from "./modes";
import { rangeProblem } from "./problems";

/** The project's CloudWatch namespaces all start with this; each stack has its own below it. */
export const METRICS_NAMESPACE_PREFIX = "CrossCloudBackup";

/**
 * The stack's own CloudWatch namespace: its host may publish into it only, and its alarms watch it
 * only. One namespace per stack, so a host of another stack in the same account (which may publish
 * into its own namespace) cannot make this stack's alarms see a healthy run.
 */
export function metricsNamespace(stack: string): string {
  return `${METRICS_NAMESPACE_PREFIX}/${stack}`;
}

/** A stack's namespace as the policy pack accepts it in a PutMetricData condition: one stack, no wildcard. */
export const STACK_NAMESPACE_PATTERN = /^CrossCloudBackup\/[A-Za-z0-9._-]+$/;

/** Every run's metrics, dimension Stack = the stack name. */
export const METRICS = {
  /** 1 when the run stored every change of its listing (skips only on the accepted list), else 0. */
  heartbeat: "Heartbeat",
  /**
   * Seconds since the newest listing whose every change is stored in the vault, or on the
   * acknowledged skip list (acceptedSkips): how current the backup is. Published by every run,
   * whatever its outcome. The missed-backup alarm watches it.
   */
  backupAgeSeconds: "BackupAgeSeconds",
  /** Objects skipped because they are on the acknowledged skip list (not in SkippedObjects). */
  acceptedSkips: "AcceptedSkips",
  /**
   * The drop of the source since the last run that stored every change: the larger of the drop
   * in objects and in bytes, in percent (0 when it grew).
   */
  sourceDropPercent: "SourceDropPercent",
  /** 1 when systemd killed a run (memory, TimeoutStartSec) before it could record itself. */
  runKilled: "RunKilled",
  /** Seconds since the last integrity check / restore drill reported (published by each run). */
  integrityAgeSeconds: "IntegrityAgeSeconds",
  drillAgeSeconds: "DrillAgeSeconds",
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
 * The missed-backup alarm: freshness, not a heartbeat. It watches BackupAgeSeconds (Maximum) in
 * hourly periods over the interval plus one hour of grace (the timer's randomized delay and a
 * run's own length), every period of the window breaching, above (interval + 1) hours. Missing
 * data breaches: between runs the hourly periods hold no data, so the alarm fires only when no
 * period of the window holds a run that reported a fresh enough backup: no run at all (a host
 * that stopped running), or runs reporting an age over the threshold. A fresh run reports about
 * its own duration; a run that did not store everything reports about interval + duration, so one
 * such run (of less than an hour) stays under the threshold and two in a row cross it. The window
 * is interval + 1 h (25 h at most, for the 24 h interval), within CloudWatch's 7-day limit.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function freshnessAlarm(intervalHours: number): {
  periodSeconds: number;
  evaluationPeriods: number;
  thresholdSeconds: number;
} {
  const [problem] = rangeProblem("intervalHours", intervalHours, LIMITS.syncIntervalHours);
  if (problem) throw new Error(`intervalHours ${problem.reason}`);
  const periodSeconds = 3600;
  const evaluationPeriods = intervalHours + 1;
  return { periodSeconds, evaluationPeriods, thresholdSeconds: evaluationPeriods * periodSeconds };
}

/**
 * When a scheduled check (integrity check, restore drill) is overdue: its schedule's longest
 * period plus a day of slack (daily 2 d, weekly 8 d, monthly 32 d), in seconds; the same rule as
 * the status command's "stale" (staleAfterDays). Undefined for "off", which has no schedule to be
 * late against.
 */
export function checkOverdueSeconds(schedule: CheckSchedule): number | undefined {
  const days = staleAfterDays(schedule);
  return days === undefined ? undefined : days * 86_400;
}
