// Pure rules for the sync host's Azure credential, shared by the vault component, the
// renderers and the integration tests (which generate the same SAS for Azurite). The SAS's
// validity window is domain/sasWindow.ts; its permissions are domain/credentials.ts's, which the
// engine's contract carries too (the SAS it mints in federated mode).
import { SAS_PERMISSIONS } from "../domain/credentials";
import type { SyncMode } from "../domain/modes";

/**
 * Container SAS permissions a sync mode needs, in Azure's canonical order. rclone 1.60.1 with a
 * container SAS needs read, add, create, write and list to copy; delete only when the mode
 * deletes or moves blobs aside (mirror with a backup dir).
 */
export function sasPermissions(mode: SyncMode): string {
  return SAS_PERMISSIONS[mode];
}
