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
