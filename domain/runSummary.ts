// The run summary the sync engine (userdata/engine.py) writes after every run, to
// $STATE_DIRECTORY/last-run.json on the host and status/last-run.json in the vault. The engine is
// Python, so this module is the contract both sides are tested against.

/** How a run ended. "partial": everything readable was backed up; some objects were skipped. */
export type RunOutcome = "success" | "partial" | "failure";

/** The engine's exit codes (75 = another run was in progress; this one did nothing). */
export const EXIT_CODES = { success: 0, failure: 1, partial: 3, overlap: 75 } as const;

export interface SkippedObject {
  /** The S3 key, relative to the source prefix. */
  key: string;
  reason: string;
}

export interface RunSummary {
  /** UTC start time with nanoseconds, e.g. 20261125T160000.123456789Z; unique per host. */
  runId: string;
  started: string;
  finished: string;
  durationSeconds: number;
  outcome: RunOutcome;
  exitCode: number;
  mode: "copy" | "mirror";
  source: string;
  destination: string;
  /** Objects and bytes in the source listing (under the prefix). */
  sourceObjects: number;
  sourceBytes: number;
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
  /** Mirror mode: overwritten blobs moved to archive/<runId>/ before the new copy. */
  archived: number;
  /** Mirror mode: blobs moved to archive/<runId>/ because their source object is gone. */
  deleted: number;
  /** Objects deleted from the source between the listing and their copy. */
  vanished: number;
  skippedCount: number;
  /** The first 100 skipped objects; all of them are in the run's skipped.jsonl.gz on the host. */
  skipped: SkippedObject[];
  errorCount: number;
  errors: string[];
}

/** Every key of RunSummary, in the order the engine writes them. */
export const RUN_SUMMARY_KEYS = [
  "runId",
  "started",
  "finished",
  "durationSeconds",
  "outcome",
  "exitCode",
  "mode",
  "source",
  "destination",
  "sourceObjects",
  "sourceBytes",
  "vaultObjects",
  "vaultOnly",
  "unchanged",
  "new",
  "changed",
  "copied",
  "bytesCopied",
  "bytesChanged",
  "archived",
  "deleted",
  "vanished",
  "skippedCount",
  "skipped",
  "errorCount",
  "errors",
] as const satisfies readonly (keyof RunSummary)[];
