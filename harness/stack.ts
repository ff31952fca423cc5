// A stack's validated config and the renderers' settings, from its stack file (read as the
// Pulumi CLI hands it to the program, config/stackFile.ts). Used by the tests and the local demo,
// so both run the artifacts the stack would deploy.
import * as path from "node:path";
import { NAMESPACE, parseConfig, settingsFromConfig, type BackupConfig } from "../config";
import { stackConfig } from "../config/stackFile";
import { CONTAINER_NAME } from "../domain/layout";
import type { SyncSettings } from "../userdata";

export const ROOT = path.resolve(__dirname, "..");

export { stackConfig };

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
