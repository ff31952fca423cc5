// Reads a stack file (Pulumi.<stack>.yaml) the way the Pulumi CLI hands it to the program, and
// turns it into the renderers' settings. Used by the tests and the local demo, so both run the
// artifacts the stack would deploy.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { NAMESPACE, parseConfig, settingsFromConfig, type BackupConfig } from "../config";
import { CONTAINER_NAME } from "../domain/layout";
import type { SyncSettings } from "../userdata";

export const ROOT = path.resolve(__dirname, "..");

/** The stack file's config as the CLI passes it: namespaced keys, non-strings as JSON. */
export function stackConfig(stack: string): Record<string, string> {
  const doc = parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/** Validated config of a stack, with bare-key overrides applied. */
export function stackBackupConfig(
  stack: string,
  overrides: Record<string, unknown> = {},
): BackupConfig {
  const all = stackConfig(stack);
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete raw[k];
    else raw[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return parseConfig(raw, all["aws:region"], all["azure-native:location"]);
}

/** The renderers' settings for a stack (what index.ts would pass to SyncHost). */
export function stackSettings(
  stack: string,
  overrides: Record<string, unknown> = {},
): SyncSettings {
  return settingsFromConfig(stackBackupConfig(stack, overrides), stack, CONTAINER_NAME);
}
