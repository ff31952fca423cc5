// The run summary the sync engine (userdata/engine/ccb, results.py) writes after every run, to
// $STATE_DIRECTORY/last-run.json on the host and status/last-run.json in the vault. The engine is
// Python, so this module is the contract both sides are tested against.

/** How a run ended. "partial": everything readable was backed up; some objects were skipped. */
export type RunOutcome = "success" | "partial" | "failure";

/**
 * The engine's exit codes (2 = a usage error; 75 = another run was in progress, this one did
 * nothing).
 */
export const EXIT_CODES = {
  success: 0,
  failure: 1,
  usage: 2,
  partial: 3,
  mismatch: 4,
  overlap: 75,
} as const;

export interface SkippedObject {
  /** The S3 key, relative to the source prefix. */
  key: string;
  reason: string;
}

/**
 * How the run's process ended: it ran to its end ("finished", whatever the outcome); a SIGTERM or
 * SIGINT stopped it ("interrupted": a systemd stop, TimeoutStartSec, a shutdown, Ctrl-C); or
 * systemd killed it before it could record itself ("killed": MemoryMax, SIGKILL after a
 * timeout), recorded afterwards by the unit's ExecStopPost.
 */
export type RunEnding = "finished" | "interrupted" | "killed";

export interface RunSummary {
  /** UTC start time with nanoseconds, e.g. 20261125T160000.123456789Z; unique per host. */
  runId: string;
  started: string;
  finished: string;
  durationSeconds: number;
  outcome: RunOutcome;
  exitCode: number;
  ending: RunEnding;
  /**
   * This run stored every change of its listing (skips only on the acknowledged list,
   * acceptedSkips): its listing's start becomes freshAsOf.
   */
  fresh: boolean;
  /** Start of the newest listing whose every change is stored (null: none yet on this host). */
  freshAsOf: string | null;
  /** Seconds from freshAsOf (or the host's first run) to the end of this run: BackupAgeSeconds. */
  backupAgeSeconds: number;
  mode: "copy" | "mirror";
  source: string;
  destination: string;
  /** Objects and bytes in the source listing (under the prefix). */
  sourceObjects: number;
  sourceBytes: number;
  /**
   * How far the source shrank since the last fresh run: the larger of the drop in objects and in
   * bytes, in percent (0 when it grew; null when this run did not finish listing the source).
   */
  sourceDropPercent: number | null;
  /** Blobs under data/ in the vault listing. */
  vaultObjects: number;
  /** Blobs whose source object is gone (mirror mode moves them to archive/). */
  vaultOnly: number;
  unchanged: number;
  /** Objects to copy because they were missing from the vault / differed from it. */
  new: number;
  changed: number;
  bytesChanged: number;
  copied: number;
  bytesCopied: number;
  /** Copied blobs whose content was recorded (seal: source re-read, hashed, recorded on the blob). */
  sealed: number;
  /** Blobs without a content record sealed without copying them again (their bytes are the
   * source's), and of those, the ones whose bytes were read back from the vault to prove it. */
  adopted: number;
  adoptedByRead: number;
  /** Bytes read from S3 to hash them. */
  hashedBytes: number;
  /** Objects whose metadata alone changed (same ETag, another LastModified), recorded again
   * without a copy. */
  refreshed: number;
  /** Blobs without a content record left for the next run (adoption is time-boxed per run). */
  adoptDeferred: number;
  /** Mirror mode: overwritten blobs moved to archive/<runId>/ before the new copy. */
  archived: number;
  /** Mirror mode: blobs moved to archive/<runId>/ because their source object is gone. */
  deleted: number;
  /** Objects deleted from the source between the listing and their copy. */
  vanished: number;
  /** Objects copied a second time in this run after a failed attempt (a dropped connection). */
  retried: number;
  /**
   * Objects left for the next run: the run's copy time (about 20 h, within TimeoutStartSec) ran
   * out, or their batch stalled. The next run starts where this one stopped.
   */
  copyDeferred: number;
  /** Skipped objects on the acknowledged list (acceptedSkips): counted here, not in skippedCount. */
  acceptedSkips: number;
  /** Skipped objects not on the acknowledged list: a run with any is partial. */
  skippedCount: number;
  /** The first 100 skipped objects; all of them are in the run's skipped.jsonl.gz on the host. */
  skipped: SkippedObject[];
  errorCount: number;
  errors: string[];
  /**
   * Debian security updates the host has not installed yet, counted at the start of the run from
   * `apt-get -s upgrade` (unattended-upgrades installs them daily; a count that stays up means it
   * is not working). null: apt could not tell.
   */
  pendingSecurityUpdates: number | null;
  /** The first 20 of those packages, by name. */
  pendingSecurityPackages: string[];
}

/** Every key of RunSummary, in the order the engine writes them. */
export const RUN_SUMMARY_KEYS = [
  "runId",
  "started",
  "finished",
  "durationSeconds",
  "outcome",
  "exitCode",
  "ending",
  "fresh",
  "freshAsOf",
  "backupAgeSeconds",
  "mode",
  "source",
  "destination",
  "sourceObjects",
  "sourceBytes",
  "sourceDropPercent",
  "vaultObjects",
  "vaultOnly",
  "unchanged",
  "new",
  "changed",
  "copied",
  "bytesCopied",
  "bytesChanged",
  "sealed",
  "adopted",
  "adoptedByRead",
  "hashedBytes",
  "refreshed",
  "adoptDeferred",
  "archived",
  "deleted",
  "vanished",
  "retried",
  "copyDeferred",
  "acceptedSkips",
  "skippedCount",
  "skipped",
  "errorCount",
  "errors",
  "pendingSecurityUpdates",
  "pendingSecurityPackages",
] as const satisfies readonly (keyof RunSummary)[];

/** How an integrity check ended. "mismatch": the vault differs from the source somewhere. */
export type IntegrityOutcome = "match" | "mismatch" | "failure";

/**
 * The integrity check's result (ccb/integrity.py, --verify): $STATE_DIRECTORY/last-integrity.json on
 * the host, status/last-integrity.json in the vault, and one log stream per check.
 */
/** What the integrity check and the restore drill both report (ccb/checks.py). */
interface CheckResult {
  checkId: string;
  started: string;
  finished: string;
  durationSeconds: number;
  outcome: IntegrityOutcome;
  source: string;
  destination: string;
  mismatchCount: number;
  /** The first 100 mismatches; all of them are in the check's mismatches.jsonl.gz on the host. */
  mismatches: SkippedObject[];
  /** Why the check itself failed (listing, vault access), or null. */
  error: string | null;
}

export interface IntegrityResult extends CheckResult {
  kind: "integrity";
  /** Start of the last successful backup: a change older than it is a mismatch, not "pending". */
  backupSince: string | null;
  sourceObjects: number;
  sourceBytes: number;
  vaultObjects: number;
  /** In the vault, with a content record holding the source object's ETag and size. */
  present: number;
  /** Changed in the source since the last successful backup started: the next run copies it. */
  pending: number;
  /** Keys the backup cannot hold, and objects it could not read (both named in its summaries). */
  unstorable: number;
  unreadable: number;
  missing: number;
  sizeMismatch: number;
  /** The blob's content record holds another ETag than the source object's (changed before
   * the last successful backup started, and still not copied). */
  etagMismatch: number;
  /** Blobs without a content record (an older engine's, or a seal that did not complete). */
  unrecorded: number;
  /** Blobs without a content record whose source object is gone: nothing can verify them, and
   * restore names them as unverified. Counted, not failed. */
  unrecordedVaultOnly: number;
  /** Blobs read back from the vault this check and checked against their content record (the
   * rule restore applies, domain/verdict.ts), and their bytes. */
  sampled: number;
  sampledBytes: number;
  /** Of those: bytes that differ from the record (mismatch), or nothing trustworthy to check
   * against (unverified). */
  sampleMismatch: number;
  sampleUnverified: number;
  /** The rotation: every blob is read once per coverageDays. This check read the blobs whose
   * position (from a hash of the name) lies in (readFrom, readUpTo] of the cycle. */
  coverageDays: number;
  readFrom: string | null;
  readUpTo: string | null;
  /** Share of the vault's blobs read within the last coverageDays (1: all of them), and when
   * the unbroken rotation began. */
  coveredFraction: number;
  coveredSince: string | null;
}

/**
 * The restore drill's result (ccb/drill.py, --drill): a random sample of the vault's blobs restored
 * to the host's disk by the keys their names decode to and compared with the source. On the host
 * as last-drill.json, in the vault as status/last-drill.json, and in the log group.
 */
export interface DrillResult extends CheckResult {
  kind: "drill";
  vaultObjects: number;
  /** Restored and verified as restore verifies (domain/verdict.ts), and their bytes. */
  restored: number;
  restoredBytes: number;
  /** Of those, also identical to the source object (it still has the recorded ETag). */
  sourceCompared: number;
  /** Sampled blobs whose source object is gone (copy mode keeps them) or changed since. */
  sourceGone: number;
  sourceChanged: number;
  /** Sampled blobs larger than the host's free disk space (less 1 GiB): not restored. */
  tooLarge: number;
}

/**
 * One line of the vault's history (status/history/<yyyy-mm>.jsonl, domain/layout.ts
 * STATUS_HISTORY): exactly the document the engine wrote to the matching status blob at that
 * moment (last-run.json, last-integrity.json, last-drill.json), with `kind` added to a run's.
 */
export type HistoryRecord = ({ kind: "run" } & RunSummary) | IntegrityResult | DrillResult;

/** The keys every check result starts with, and those it ends with (the engine's order). */
const CHECK_RESULT_HEAD = [
  "checkId",
  "kind",
  "started",
  "finished",
  "durationSeconds",
  "outcome",
  "source",
  "destination",
] as const;
const CHECK_RESULT_TAIL = ["mismatchCount", "mismatches", "error"] as const;

/** Every key of IntegrityResult, in the order the engine writes them. */
export const INTEGRITY_RESULT_KEYS = [
  ...CHECK_RESULT_HEAD,
  "backupSince",
  "sourceObjects",
  "sourceBytes",
  "vaultObjects",
  "present",
  "pending",
  "unstorable",
  "missing",
  "unreadable",
  "sizeMismatch",
  "etagMismatch",
  "unrecorded",
  "unrecordedVaultOnly",
  "sampled",
  "sampledBytes",
  "sampleMismatch",
  "sampleUnverified",
  "coverageDays",
  "readFrom",
  "readUpTo",
  "coveredFraction",
  "coveredSince",
  ...CHECK_RESULT_TAIL,
] as const satisfies readonly (keyof IntegrityResult)[];

/** Every key of DrillResult, in the order the engine writes them. */
export const DRILL_RESULT_KEYS = [
  ...CHECK_RESULT_HEAD,
  "vaultObjects",
  "restored",
  "restoredBytes",
  "sourceCompared",
  "sourceGone",
  "sourceChanged",
  "tooLarge",
  ...CHECK_RESULT_TAIL,
] as const satisfies readonly (keyof DrillResult)[];

// Compile-time: each list names every key of its type (a key added to the type and not to the
// list, or the other way round, is a type error).
type Exhaustive<T, K extends readonly PropertyKey[]> =
  Exclude<keyof T, K[number]> extends never ? true : never;
export const KEY_LISTS_ARE_COMPLETE: [
  Exhaustive<RunSummary, typeof RUN_SUMMARY_KEYS>,
  Exhaustive<IntegrityResult, typeof INTEGRITY_RESULT_KEYS>,
  Exhaustive<DrillResult, typeof DRILL_RESULT_KEYS>,
] = [true, true, true];
