// Where things live in the vault. The engine writes these folders, the lifecycle policy expires
// under them, and restore reads them.

/** The one container the sync host writes to. */
export const CONTAINER_NAME = "backup";

export const VAULT_FOLDERS = {
  /** The backup: one blob per source object, key = source key relative to the prefix. */
  data: "data/",
  /** Mirror mode: replaced and deleted blobs, under archive/<runId>/. */
  archive: "archive/",
  /** Run summaries and check results (STATUS_BLOBS). */
  status: "status/",
} as const;

/** What the host publishes under status/ (small JSON documents, overwritten each time). */
export const STATUS_BLOBS = {
  /** Every run's summary (domain/runSummary.ts RunSummary). */
  lastRun: "status/last-run.json",
  /** The last run that did not fail (success or partial). */
  lastSuccess: "status/last-success.json",
  /** The last integrity check (IntegrityResult). */
  lastIntegrity: "status/last-integrity.json",
  /** The last restore drill (DrillResult): the evidence that restores are tested. */
  lastDrill: "status/last-drill.json",
} as const;

/**
 * The history under status/: one append blob per UTC month of a record's end
 * (status/history/2026-05.jsonl), one JSON line per run, integrity check and restore drill. Each
 * line is the document the engine wrote to the matching status blob at that moment, plus `kind`
 * (domain/runSummary.ts HistoryRecord). Lines are only ever added (Append Block); see docs/vault.md.
 */
export const STATUS_HISTORY = {
  folder: "status/history/",
  extension: ".jsonl",
  /** The `kind` of each line: a backup run, an integrity check, a restore drill. */
  kinds: ["run", "integrity", "drill"],
} as const;

export type HistoryKind = (typeof STATUS_HISTORY.kinds)[number];

/** The history blob of one UTC month ("2026-05"). */
export function statusHistory(month: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new Error(`statusHistory: month "${month}" is not a UTC month like 2026-05`);
  return `${STATUS_HISTORY.folder}${month}${STATUS_HISTORY.extension}`;
}

/** The history blob a record belongs to: the UTC month of its end (an ISO 8601 UTC time). */
export function statusHistoryOf(finished: string): string {
  return statusHistory(finished.slice(0, 7));
}
