// Pure rules for the sync host's Azure credential, shared by the vault component, the
// renderers and the integration tests (which generate the same SAS for Azurite).
import type { SyncMode } from "../domain/modes";

/**
 * Container SAS permissions a sync mode needs, in Azure's canonical order. rclone 1.60.1 with a
 * container SAS needs read, add, create, write and list to copy; delete only when the mode
 * deletes or moves blobs aside (mirror with a backup dir).
 */
export function sasPermissions(mode: SyncMode): string {
  return mode === "mirror" ? "racwdl" : "racwl";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The SAS validity for a rotation window of `rotationDays`: it starts at the beginning of the
 * current window (so every `pulumi up` inside one window asks for the same SAS and shows no diff)
 * and expires two windows later (so the credential always outlives the next window's update).
 */
export function sasWindow(now: Date, rotationDays: number): { start: string; expiry: string } {
  const windowMs = rotationDays * DAY_MS;
  const startMs = Math.floor(now.getTime() / windowMs) * windowMs;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { start: iso(startMs), expiry: iso(startMs + 2 * windowMs) };
}
