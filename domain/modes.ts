// The project's vocabulary: the choices a stack makes, as values and types. No Pulumi imports;
// components, renderers, the config adapter and the tests all take these from here.

/** "copy" never deletes in the vault; "mirror" also propagates deletions (into archive/). */
export const SYNC_MODES = ["copy", "mirror"] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** How the vault credential reaches the host: an SSM SecureString, or (secret) user-data. */
export const CREDENTIAL_DELIVERIES = ["ssm", "userData"] as const;
export type CredentialDelivery = (typeof CREDENTIAL_DELIVERIES)[number];

/** Standard general-purpose v2 storage SKUs (Premium SKUs have no blob versioning). */
export const STORAGE_REDUNDANCIES = [
  "Standard_LRS",
  "Standard_ZRS",
  "Standard_GRS",
  "Standard_RAGRS",
  "Standard_GZRS",
  "Standard_RAGZRS",
] as const;
export type StorageRedundancy = (typeof STORAGE_REDUNDANCIES)[number];

/** What a SKU needs from its region: availability zones, a paired region, or both. */
export function redundancyNeeds(r: StorageRedundancy): { zones: boolean; pair: boolean } {
  return {
    zones: r === "Standard_ZRS" || r === "Standard_GZRS" || r === "Standard_RAGZRS",
    pair: r !== "Standard_LRS" && r !== "Standard_ZRS",
  };
}

/**
 * How often the host runs a check of its own: the integrity check (the vault against the source:
 * listings, hashes and a sample read byte for byte) and the restore drill (a sample restored from
 * the vault and compared with the source); "off" leaves it to on-demand runs.
 */
export const CHECK_SCHEDULES = ["daily", "weekly", "monthly", "off"] as const;
export type CheckSchedule = (typeof CHECK_SCHEDULES)[number];

/**
 * Days after which a check's last result is stale: its schedule's longest period plus a day
 * (undefined for "off", which has no schedule to be late against).
 */
export function staleAfterDays(schedule: CheckSchedule): number | undefined {
  return { daily: 2, weekly: 8, monthly: 32, off: undefined }[schedule];
}

/** The CPU architectures the host's AMI comes in. */
export type Architecture = "arm64" | "x86_64";
