// A stack file (Pulumi.<stack>.yaml) read the way the Pulumi CLI hands it to the program, for the
// tools that read a stack's config without the CLI: the harness (tests, demo, bench, policy
// report) and the SAS renewal schedule (scripts/sas-window.ts).
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The project directory: Pulumi.yaml and the stack files. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stacks that have a stack file (Pulumi.<stack>.yaml), sorted. */
export function stackNames(dir = PROJECT_DIR): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The stack file's config as the CLI passes it: namespaced keys, non-strings as JSON. */
export function stackConfig(stack: string, dir = PROJECT_DIR): Record<string, string> {
  const doc = parse(readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
