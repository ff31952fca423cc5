// What the vault knows about each blob it holds: the source object's identity and the MD5 of the
// bytes, recorded by the engine on the blob itself (one metadata value), and the one rule every
// reader (restore, the drill, the integrity check) applies to decide whether bytes read back are
// the bytes that were backed up. The engine's copy of the rule is ccb/verdict.py; both are tested
// on test/fixtures/verification-cases.json.

/** The blob metadata name holding the record (URL-encoded compact JSON with sorted keys). */
export const CONTENT_RECORD = "ccbsource";

/**
 * The blob metadata name holding the source's x-amz-meta-*: URL-encoded JSON, or, where that
 * would not fit in Azure's 8 KiB of metadata (non-ASCII values grow ninefold), this prefix and
 * the base64 of the JSON (at most 4/3 of S3's 2 KB).
 */
export const S3_METADATA = "s3metadata";
export const S3_METADATA_BASE64 = "b64:";

/** The record's format; a reader refuses to trust a record of another format. */
export const CONTENT_RECORD_FORMAT = 1;

/**
 * The source object a blob holds, and the hash of its bytes. Written in the same Set Blob
 * Metadata request as the object's user metadata, so a blob with a record also has its
 * metadata ("metadata kept"), even when the object had none.
 */
export interface ContentRecord {
  /** CONTENT_RECORD_FORMAT. */
  format: number;
  /** The S3 ETag, without quotes: what change detection compares. */
  etag: string;
  /** The S3 VersionId, when the bucket is versioned. */
  versionId?: string;
  /** Bytes. */
  size: number;
  /** S3 LastModified, epoch seconds. */
  mtime: number;
  /** Server-side encryption: "none", "AES256", "aws:kms", "aws:kms:dsse" or "SSE-C". */
  sse: string;
  /** Hex MD5 of the object's bytes, computed by the engine (never a source ETag). */
  md5: string;
  /** How many x-amz-meta-* entries were kept (under S3_METADATA when non-zero). */
  meta: number;
  /** The engine that wrote the record (its bundle's SHA-256, first 16 hex digits). */
  engine: string;
}

/** The record's keys, in the order a reader checks them. */
export const CONTENT_RECORD_KEYS = [
  "format",
  "etag",
  "versionId",
  "size",
  "mtime",
  "sse",
  "md5",
  "meta",
  "engine",
] as const satisfies readonly (keyof ContentRecord)[];

type Missing = Exclude<keyof ContentRecord, (typeof CONTENT_RECORD_KEYS)[number]>;
// Compile-time: the list names every key of ContentRecord.
export const CONTENT_RECORD_KEYS_COMPLETE: Missing extends never ? true : never = true;

/**
 * The verdict on bytes read back from the vault:
 * - verified: the blob's record is consistent and the bytes have its size and MD5 (or, for a blob
 *   an older engine wrote without a record, its Content-MD5 matches the bytes);
 * - unverified: nothing trustworthy to check against (no record and no matching Content-MD5, or a
 *   record that contradicts the blob's properties); restored by default and named, refused with
 *   --strict;
 * - mismatch: the bytes differ from a consistent record (tampered or corrupt); refused by default
 *   and named, restored only with --accept-mismatch.
 */
export const VERDICTS = ["verified", "unverified", "mismatch"] as const;
export type Verdict = (typeof VERDICTS)[number];
