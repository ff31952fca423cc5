import { readFileSync } from "node:fs";
import * as path from "node:path";
import { remotePaths, type SyncSettings } from "./settings";

// Comment lines and docstrings are left out of the host's copy: user-data is limited to 16 KB
// (gzipped), and the commented source is userdata/engine.py. Python has no line that is both a
// comment and code; the engine's only string literals that open a line right after a line
// ending in ":" are docstrings (the renderer tests compile the result and run the engine).
export function stripForHost(source: string): string {
  const out: string[] = [];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trimStart().startsWith("#")) continue;
    const previous = out[out.length - 1];
    const opens = /^(\s*)"""/.exec(line);
    if (opens && previous !== undefined && previous.trimEnd().endsWith(":")) {
      // Skip to the line that closes the docstring (the same line for a one-line docstring).
      let end = i;
      const rest = line.trimStart().slice(3);
      if (!rest.includes('"""')) {
        end++;
        while (end < lines.length && !lines[end].includes('"""')) end++;
      }
      // A body that was only a docstring still needs a statement.
      const next = lines
        .slice(end + 1)
        .find((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
      const indent = opens[1];
      if (next === undefined || /^\s*/.exec(next)![0].length < indent.length)
        out.push(`${indent}pass`);
      i = end;
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}
const BODY = stripForHost(readFileSync(path.join(__dirname, "engine.py"), "utf8"));

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
  stack: string;
  metricsNamespace: string;
  logGroup: string;
  /** Objects the integrity check compares byte for byte. */
  integritySample: number;
  /** Objects each restore drill restores and compares. */
  drillSample: number;
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
    stack: s.stack,
    metricsNamespace: s.metricsNamespace,
    logGroup: s.logGroup,
    integritySample: s.integritySampleObjects,
    drillSample: s.restoreDrillObjects,
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
