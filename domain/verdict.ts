// The one rule for bytes read back from the vault (domain/contentRecord.ts): restore, and through
// the engine's copy (ccb/verdict.py) the drill and the integrity check, all apply it, so a drill
// or a check passes only where a restore would. Both copies are tested on
// test/fixtures/verification-cases.json.
import { CONTENT_RECORD_FORMAT, type ContentRecord, type Verdict } from "./contentRecord";

/** What the vault's listing says about a blob. */
export interface BlobFacts {
  size: number;
  /** Hex Content-MD5, when the blob has one. */
  contentMD5?: string;
  /** The raw CONTENT_RECORD metadata value, when the blob has one. */
  record?: string;
}

/** What was read back: the number of bytes and their hex MD5. */
export interface ReadFacts {
  size: number;
  md5: string;
}

export interface VerdictResult {
  verdict: Verdict;
  reason: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The record in a CONTENT_RECORD metadata value, or why it cannot be trusted. */
export function parseRecord(raw: string): { record: ContentRecord } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(decodeURIComponent(raw));
  } catch {
    return { problem: "it is not URL-encoded JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { problem: "it is not a JSON object" };
  const r = v as Record<string, unknown>;
  if (r.format !== CONTENT_RECORD_FORMAT)
    return { problem: `format ${JSON.stringify(r.format)} is not ${CONTENT_RECORD_FORMAT}` };
  if (typeof r.etag !== "string" || r.etag === "") return { problem: "etag is missing" };
  if (r.versionId !== undefined && typeof r.versionId !== "string")
    return { problem: "versionId is not a string" };
  if (!isCount(r.size)) return { problem: "size is not a whole number" };
  if (!Number.isSafeInteger(r.mtime)) return { problem: "mtime is not a whole number" };
  if (typeof r.sse !== "string") return { problem: "sse is missing" };
  if (typeof r.md5 !== "string" || !HEX32.test(r.md5))
    return { problem: "md5 is not 32 hex digits" };
  if (!isCount(r.meta)) return { problem: "meta is not a whole number" };
  if (typeof r.engine !== "string") return { problem: "engine is missing" };
  return { record: r as unknown as ContentRecord };
}

/**
 * The hash a reader checks bytes against before it commits them, and whether a difference is a
 * mismatch (a consistent record) or only leaves the object unverified. undefined: nothing to
 * check but the size.
 */
export function expectedContent(blob: BlobFacts): {
  md5?: string;
  trusted: boolean;
  problem?: string;
} {
  if (blob.record === undefined) return { md5: blob.contentMD5, trusted: false };
  const parsed = parseRecord(blob.record);
  if ("problem" in parsed)
    return { trusted: false, problem: `its content record is unreadable (${parsed.problem})` };
  const r = parsed.record;
  if (r.size !== blob.size)
    return {
      trusted: false,
      problem: `its content record says ${r.size} bytes but the blob has ${blob.size}`,
    };
  if (blob.contentMD5 === undefined)
    return {
      trusted: false,
      problem: "its content record has an MD5 but the blob has no Content-MD5",
    };
  if (blob.contentMD5 !== r.md5)
    return {
      trusted: false,
      problem: `its Content-MD5 ${blob.contentMD5} contradicts its content record's MD5 ${r.md5}`,
    };
  return { md5: r.md5, trusted: true };
}

/** The verdict on bytes read back from a blob. */
export function contentVerdict(blob: BlobFacts, read: ReadFacts): VerdictResult {
  if (read.size !== blob.size)
    return { verdict: "mismatch", reason: `read ${read.size} bytes, the blob has ${blob.size}` };
  const want = expectedContent(blob);
  if (want.problem) return { verdict: "unverified", reason: want.problem };
  if (want.trusted) {
    if (read.md5 !== want.md5)
      return {
        verdict: "mismatch",
        reason: `the MD5 of its bytes ${read.md5} differs from the recorded ${want.md5}`,
      };
    return { verdict: "verified", reason: "size and MD5 match its content record" };
  }
  if (want.md5 === undefined)
    return {
      verdict: "unverified",
      reason: "no content record and no Content-MD5 (written by an older engine)",
    };
  if (read.md5 !== want.md5)
    return {
      verdict: "unverified",
      reason: `no content record, and its Content-MD5 ${want.md5} is not the MD5 of its bytes ${read.md5} (an older engine stored a source ETag)`,
    };
  return {
    verdict: "verified",
    reason: "no content record, but its Content-MD5 matches its bytes",
  };
}
