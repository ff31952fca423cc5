import { readFileSync } from "node:fs";
import * as path from "node:path";
import { remotePaths, type SyncSettings } from "./settings";

// Comment lines are left out of the host's copy: user-data is limited to 16 KB (gzipped), and the
// commented source is userdata/engine.py. Python has no line that is both a comment and code.
const BODY = readFileSync(path.join(__dirname, "engine.py"), "utf8")
  .split("\n")
  .filter((line) => !line.trimStart().startsWith("#"))
  .join("\n");

/** Single-quote a value for bash. */
export function shq(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The plain values the engine reads, rendered into its header. */
export interface EngineConfig {
  sourceBucket: string;
  sourcePrefix: string;
  sourceRegion: string;
  container: string;
  /** rclone path of the container ("vault:<container>"). */
  vaultRoot: string;
  mode: string;
  maxDeletes: number;
  maxDeletePercent: number;
  credential: string;
  ssmParameter: string;
}

export function engineConfig(s: SyncSettings): EngineConfig {
  return {
    sourceBucket: s.sourceBucket,
    sourcePrefix: s.sourcePrefix,
    sourceRegion: s.sourceRegion,
    container: s.containerName,
    vaultRoot: remotePaths(s).root,
    mode: s.syncMode,
    maxDeletes: s.maxDeletes,
    maxDeletePercent: s.maxDeletePercent,
    credential: s.credential,
    ssmParameter: s.ssmParameterName,
  };
}

/**
 * The sync engine: a Python program (standard library + Debian's python3-botocore) whose
 * header holds the settings as a literal, followed by the fixed body (userdata/engine.py).
 * No credential is ever part of it. JSON strings and integers are valid Python literals.
 */
export function renderSyncScript(s: SyncSettings): string {
  const cfg = engineConfig(s);
  const lines = Object.entries(cfg).map(([k, v]) => {
    if (typeof v !== "string" && !(typeof v === "number" && Number.isInteger(v))) {
      throw new Error(`engine setting ${k} must be a string or an integer`);
    }
    return `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`;
  });
  return [
    "#!/usr/bin/python3 -I",
    "# cross-cloud-backup: one backup run from S3 to Azure Blob. Rendered by userdata/syncScript.ts;",
    "# changes made on the host are lost when the instance is replaced. The commented source is",
    "# userdata/engine.py in the cross-cloud-backup repository.",
    "",
    "CONFIG = {",
    ...lines,
    "}",
    "",
    BODY,
  ].join("\n");
}
