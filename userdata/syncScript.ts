import { readFileSync } from "node:fs";
import * as path from "node:path";
import { remotePaths, type SyncSettings } from "./settings";

const BODY = readFileSync(path.join(__dirname, "sync-body.sh"), "utf8");

/** Single-quote a value for bash. */
export function shq(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * The sync script: a header of constants rendered from the settings, then the fixed body
 * (userdata/sync-body.sh). No credential is ever part of the script.
 */
export function renderSyncScript(s: SyncSettings): string {
  const p = remotePaths(s);
  const consts: [string, string][] = [
    ["SOURCE", p.source],
    ["DEST", p.dest],
    ["ARCHIVE", p.archive],
    ["STATUS", p.status],
    ["MODE", s.syncMode],
    ["MAX_DELETES", String(s.maxDeletes)],
    ["CREDENTIAL", s.credentialDelivery],
    ["SSM_PARAMETER", s.ssmParameterName],
    ["SSM_REGION", s.sourceRegion],
  ];
  return [
    "#!/usr/bin/env bash",
    "# cross-cloud-backup: one backup run from S3 to Azure Blob. Rendered by userdata/syncScript.ts;",
    "# changes made on the host are lost when the instance is replaced.",
    "set -euo pipefail",
    "",
    ...consts.map(([k, v]) => `readonly ${k}=${shq(v)}`),
    "",
    BODY,
  ].join("\n");
}
