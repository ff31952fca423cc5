// settings.json: the stack's settings for the engine, written by cloud-init beside the rclone
// config and handed to the units as a credential. The engine bundle is the same for every stack;
// this small document is what differs. Its keys and rules are domain/engineSettings.ts's.
import {
  ENGINE_SETTINGS,
  type EngineSettingName,
  type EngineSettings,
} from "../domain/engineSettings";
import { CONFIG_DIR, type SyncSettings } from "./settings";

export const ENGINE_SETTINGS_PATH = `${CONFIG_DIR}/settings.json`;

/** The engine's settings of a stack: the SyncSettings fields of the same names. */
export function engineSettings(s: SyncSettings): EngineSettings {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(ENGINE_SETTINGS) as EngineSettingName[]) out[name] = s[name];
  return out as EngineSettings;
}

/**
 * settings.json as the host gets it (no credential: names and numbers only). ASCII only: it
 * travels inside cloud-init's YAML, where characters such as U+0085, U+2028 or a C1 control
 * would be folded or make the whole document invalid; JSON's \uXXXX escapes carry any key
 * prefix S3 allows exactly.
 */
export function renderEngineSettings(s: SyncSettings): string {
  const json = JSON.stringify(engineSettings(s), null, 1);
  return (
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) +
    "\n"
  );
}
