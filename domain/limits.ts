// Every numeric range the program enforces, with where it comes from. The config schema, the
// components and the docs (Pulumi.yaml descriptions are generated from these) read them here.

export interface Range {
  min: number;
  max: number;
}

export const LIMITS = {
  /** EBS gp3 volumes are 1-16,384 GiB; Debian's image needs about 2 GB, and the engine keeps
   * each run's two listings on disk (about 0.7 KB per object at its peak). */
  rootVolumeGb: { min: 8, max: 16_384 },
  /** Whole hours that divide a day (checked separately), so runs fall at the same hours. */
  syncIntervalHours: { min: 1, max: 24 },
  maxDeletes: { min: 0, max: 1_000_000 },
  maxDeletePercent: { min: 0, max: 100 },
  /** The deletion guard's window: an hour to 30 days. */
  deletionWindowHours: { min: 1, max: 720 },
  /** Blob and container soft delete: 1-365 days (Azure). */
  softDeleteRetentionDays: { min: 1, max: 365 },
  /** Point-in-time restore: 0 (off) to 364 days, below the soft-delete period (Azure). */
  pointInTimeRestoreDays: { min: 0, max: 364 },
  /** Version-level immutability: 1-146,000 days (Azure), 0 = off. */
  immutabilityDays: { min: 0, max: 146_000 },
  /** Lifecycle management day counts are limited to 99,999. */
  versionRetentionDays: { min: 1, max: 99_999 },
  sasRotationDays: { min: 1, max: 180 },
  /** Objects the integrity check reads from both sides and compares byte for byte. */
  integritySampleObjects: { min: 0, max: 1_000 },
  integrityCoverageDays: { min: 7, max: 3_650 },
  /** Objects each restore drill restores from the vault and compares with the source. */
  restoreDrillObjects: { min: 1, max: 1_000 },
  /** The source-drop alarm's threshold, in percent of the source (0 would alarm on every run). */
  sourceDropAlarmPercent: { min: 1, max: 100 },
  /** Log Analytics workspace retention (PerGB2018): 30-730 days. */
  auditRetentionDays: { min: 30, max: 730 },
} as const satisfies Record<string, Range>;

/**
 * Azure storage accepts at most 400 IP network rules per account; one is the sync host's
 * Elastic IP. https://learn.microsoft.com/azure/storage/common/storage-network-security-limitations
 */
export const MAX_IP_RULES = 400;

/** S3 keys are at most 1,024 bytes of UTF-8. */
export const MAX_S3_KEY_BYTES = 1024;
