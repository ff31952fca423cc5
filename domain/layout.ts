// Where things live in the vault. The engine writes these folders, the lifecycle policy expires
// under them, and restore reads them.

/** The one container the sync host writes to. */
export const CONTAINER_NAME = "backup";

export const VAULT_FOLDERS = {
  /** The backup: one blob per source object, key = source key relative to the prefix. */
  data: "data/",
  /** Mirror mode: replaced and deleted blobs, under archive/<runId>/. */
  archive: "archive/",
  /** Run summaries (status/last-run.json). */
  status: "status/",
} as const;
