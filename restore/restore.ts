// The restore: choose the copy of every object (now, or as the vault held it at a time T), plan
// against what the target already holds, and copy with verification. The CLI (cli/restore.ts)
// only parses flags and prints; tests call restore() directly.
//
// Guarantees:
// - exact keys: blob names are decoded exactly as the engine encoded them
//   (domain/blobNames.ts); a name the engine could never have written (one that decodes to a
//   '..' segment, say) is refused and named, never restored;
// - safe: never writes into the source bucket unless in place and confirmed; never replaces a
//   different object in the target unless told to; a dry run writes nothing;
// - verified: every object's bytes are read in full and judged by the one rule for bytes read
//   back from the vault (domain/verdict.ts: size and MD5 against the content record the engine
//   wrote) before they are committed, and the target's size is checked after; a mismatch is
//   refused unless acceptMismatch, an unverified object is restored and named unless strict;
//   every key is restored, already present, or reported with its reason;
// - resumable: objects the target already holds identically are not copied again.
import { createHash } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { VAULT_FOLDERS } from "../domain/layout";
import { blobName, decodeBlobName, keyProblem, restoresExactly } from "../domain/blobNames";
import { S3_METADATA, S3_METADATA_BASE64 } from "../domain/contentRecord";
import {
  contentVerdict,
  expectedContent,
  type BlobFacts,
  type VerdictResult,
} from "../domain/verdict";
import {
  formatInstant,
  instantOfDate,
  parseInstant,
  pickAt,
  segmentFromArchive,
  segmentsFromVersions,
  type Instant,
  type ListedBlob,
  type Segment,
} from "./timeline";
import { ContentRefused, type ObjectHeaders, type Target, type VerifiedBody } from "./target";
import {
  blobFactsOf,
  listCurrent,
  listHistory,
  metadataValue,
  runSummaries,
  splitArchiveName,
} from "./vault";

/**
 * Exit codes, as the engine's: 3 = some keys reported instead of restored; 4 = an object refused
 * by its verdict (a mismatch, or an unverified object with strict) or a target that holds another
 * size after the copy.
 */
export const RESTORE_EXIT = { ok: 0, failure: 1, usage: 2, partial: 3, mismatch: 4 } as const;

/** The restore would break a safety rule; nothing was written. */
export class RestoreRefused extends Error {}

/** The copy of one object the restore reads. */
export interface Chosen {
  /** The S3 key relative to the backed-up prefix (and to the restore's target prefix). */
  key: string;
  blob: string;
  versionId?: string;
  etag?: string;
  size: number;
  /**
   * The blob's Content-MD5 in hex, if it has one. Trusted only when a consistent content record
   * names the same MD5 (an older engine stored the source's ETag there, which for SSE-KMS and
   * multipart objects is not the MD5 of the bytes).
   */
  contentMD5?: string;
  /** The blob's raw content record (CONTENT_RECORD metadata), if it has one. */
  record?: string;
  headers: ObjectHeaders;
  from: Segment["kind"];
  note?: string;
}

export interface KeyReason {
  key: string;
  reason: string;
}

/** A blob the restore refused by its name (the full blob name in the vault). */
export interface BlobReason {
  blob: string;
  reason: string;
}

/** An object named for its verdict, and whether its bytes were committed to the target anyway. */
export interface VerdictKey extends KeyReason {
  /** true: counted in `restored` (accepted mismatch, unverified without strict); false: refused. */
  restored: boolean;
}

export interface RestoreReport {
  target: string;
  at?: string;
  dryRun: boolean;
  /** Objects the vault holds for the restore (after --prefix and --at). */
  selected: number;
  selectedBytes: number;
  /** To copy (dry run) or copied. */
  toCopy: number;
  toCopyBytes: number;
  restored: number;
  restoredBytes: number;
  /** The target already held an identical object (a resumed or repeated restore). */
  alreadyPresent: number;
  /** The target holds a different object under the key (replaced only with overwrite). */
  different: KeyReason[];
  /** Objects that did not exist at --at (deleted before, or created after). */
  notAtTime: number;
  notAtTimeSample: KeyReason[];
  /** Keys the target cannot hold, or copies the vault cannot serve as they are. */
  unwritable: KeyReason[];
  unavailable: KeyReason[];
  /**
   * Blobs whose names the engine never writes (they do not round-trip through its key rules and
   * encoding, e.g. a ".\uff0e" segment that decodes to ".."): someone else put them in the
   * vault. Refused and named, never restored (exit 3).
   */
  refusedNames: BlobReason[];
  /** Restored objects whose size and MD5 matched (their content record, or an older blob's true Content-MD5). */
  verified: number;
  /**
   * Objects whose bytes differ from a consistent content record or read short (the reason says
   * which), or that the target holds with another size after the copy. Refused (restored:
   * false, exit 4) unless acceptMismatch; then committed and named (restored: true).
   */
  mismatches: VerdictKey[];
  /**
   * Objects whose bytes nothing trustworthy could check (no content record and no matching
   * Content-MD5, or a record that contradicts its blob; the reason says which). Committed and
   * named (restored: true); with strict, refused (restored: false, exit 4).
   */
  unverified: VerdictKey[];
  failed: KeyReason[];
  notes: string[];
  interrupted: boolean;
  durationSeconds: number;
  exitCode: number;
}

export interface RestoreOptions {
  container: ContainerClient;
  target: Target;
  /** Only keys starting with this (relative to the backed-up prefix). */
  prefix?: string;
  /** Restore the vault's state at this instant (versions, archive/). */
  at?: Instant;
  dryRun?: boolean;
  /** Replace objects that differ in the target. */
  overwrite?: boolean;
  /** Refuse unverified objects (default: restore them and name them in `unverified`). */
  strict?: boolean;
  /** Commit objects whose bytes differ from their content record (default: refuse them). */
  acceptMismatch?: boolean;
  /** The bucket the backup reads from; needed to refuse writing into it. */
  sourceBucket?: string;
  otherSourceBuckets?: string[];
  inPlace?: boolean;
  /** --yes-overwrite-source: with inPlace, write (and replace differing objects). */
  confirmed?: boolean;
  concurrency?: number;
  /** Progress lines (throttled). */
  progress?: (line: string) => void;
  progressIntervalMs?: number;
  /** Stop after this many objects were written (tests: an interrupted restore). */
  stopAfter?: number;
}

const SAMPLE = 50;

/**
 * The source object's user metadata, as the engine kept it (S3_METADATA): one URL-encoded JSON
 * value (S3's metadata names allow characters Azure's do not), or, where that would not fit in
 * Azure's 8 KiB of metadata, "b64:" and the base64 of the JSON (domain/contentRecord.ts).
 * rclone's own `mtime` and the content record are not user metadata.
 */
export function userMetadataOf(
  blobMetadata: Record<string, string> | undefined,
): Record<string, string> {
  const v = metadataValue(blobMetadata, S3_METADATA);
  if (v === undefined) return {};
  const json = v.startsWith(S3_METADATA_BASE64)
    ? Buffer.from(v.slice(S3_METADATA_BASE64.length), "base64").toString("utf8")
    : decodeURIComponent(v);
  return { ...(JSON.parse(json) as Record<string, string>) };
}

function headersOf(item: ListedBlob): ObjectHeaders {
  const metadata = userMetadataOf(item.metadata);
  const p = item.properties;
  return {
    contentType: p.contentType || undefined,
    contentEncoding: p.contentEncoding || undefined,
    contentLanguage: p.contentLanguage || undefined,
    contentDisposition: p.contentDisposition || undefined,
    cacheControl: p.cacheControl || undefined,
    metadata,
  };
}

function chosenOf(key: string, seg: Segment, note?: string): Chosen {
  const facts = blobFactsOf(seg.item);
  return {
    key,
    blob: seg.blob,
    versionId: seg.kind === "current" && !seg.item.versionId ? undefined : seg.versionId,
    etag: seg.versionId ? undefined : seg.item.properties.etag,
    size: facts.size,
    contentMD5: facts.contentMD5,
    record: facts.record,
    headers: headersOf(seg.item),
    from: seg.kind,
    note,
  };
}

/** Whether a vault name (relative to data/) is under the key prefix. */
const under = (key: string, prefix: string) => key.startsWith(prefix);

/**
 * Why the engine could never have written this blob name (relative to data/), or undefined. The
 * engine's rules (domain/blobNames.ts, ccb/names.py): the name decodes to a key it stores, and
 * encodes back to the same name.
 */
export function foreignName(name: string): string | undefined {
  if (restoresExactly(name) !== undefined) return undefined;
  const key = decodeBlobName(name);
  const why =
    keyProblem(key) ??
    `the engine stores that key as ${JSON.stringify(VAULT_FOLDERS.data + blobName(key))}`;
  return `not a name the backup engine writes: it decodes to the key ${JSON.stringify(key)} (${why}); refused, nothing restored from it`;
}

/** Chooses the copy of each object: the current blobs, or the copies that held at `at`. */
export async function selectObjects(
  c: ContainerClient,
  opts: { prefix?: string; at?: Instant },
): Promise<{
  chosen: Chosen[];
  notAtTime: KeyReason[];
  unavailable: KeyReason[];
  refusedNames: BlobReason[];
  notes: string[];
}> {
  const prefix = opts.prefix ?? "";
  const chosen: Chosen[] = [];
  const notAtTime: KeyReason[] = [];
  const unavailable: KeyReason[] = [];
  const notes: string[] = [];
  const refused = new Map<string, string>();
  /** The key of a blob name (relative to data/) under the prefix; a foreign name is refused. */
  const keyOf = (blob: string, name: string): string | undefined => {
    const key = decodeBlobName(name);
    if (!under(key, prefix)) return undefined;
    const why = foreignName(name);
    if (why === undefined) return key;
    refused.set(blob, why);
    return undefined;
  };
  const refusedNames = () =>
    [...refused]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([blob, reason]) => ({ blob, reason }));
  if (opts.at === undefined) {
    for await (const item of listCurrent(c, prefix)) {
      const key = keyOf(item.name, item.name.slice(VAULT_FOLDERS.data.length));
      if (key === undefined) continue;
      chosen.push(
        chosenOf(key, { blob: item.name, from: 0n, until: "open", kind: "current", item }),
      );
    }
    return { chosen, notAtTime, unavailable, refusedNames: refusedNames(), notes };
  }
  const history = await listHistory(c, prefix);
  if (!history.versions)
    notes.push(
      "the vault listed no blob versions (versioning off, or an emulator): data/ gives each object's current copy, archive/ the older ones",
    );
  const byKey = new Map<string, Segment[]>();
  const add = (key: string | undefined, segs: Segment[]) => {
    if (key === undefined) return;
    const list = byKey.get(key);
    if (list) list.push(...segs);
    else byKey.set(key, [...segs]);
  };
  const byName = new Map<string, ListedBlob[]>();
  for (const item of history.data) {
    const list = byName.get(item.name);
    if (list) list.push(item);
    else byName.set(item.name, [item]);
  }
  for (const [name, items] of byName)
    add(keyOf(name, name.slice(VAULT_FOLDERS.data.length)), segmentsFromVersions(items));
  for (const item of history.archive) {
    const parts = splitArchiveName(item.name);
    if (parts) add(keyOf(item.name, parts.name), [segmentFromArchive(item)]);
  }
  for (const [key, segs] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const pick = pickAt(segs, opts.at);
    if (pick.kind === "restore") {
      chosen.push(chosenOf(key, pick.segment, pick.note));
      if (pick.note) notes.push(`${JSON.stringify(key)}: ${pick.note}`);
    } else if (pick.kind === "absent") notAtTime.push({ key, reason: pick.reason });
    else unavailable.push({ key, reason: pick.reason });
  }
  return { chosen, notAtTime, unavailable, refusedNames: refusedNames(), notes };
}

const factsOf = (o: Chosen): BlobFacts => ({
  size: o.size,
  contentMD5: o.contentMD5,
  record: o.record,
});

/** What decides whether bytes read are committed (RestoreOptions). */
interface Policy {
  strict?: boolean;
  acceptMismatch?: boolean;
}

/** A blob's bytes as a restore reads them: the body a target writes, and what was read. */
interface ReadBody extends VerifiedBody {
  /** The bytes read so far. */
  bytesRead(): number;
  /** The verdict on the bytes read, once check() ran. */
  verdict(): VerdictResult | undefined;
}

/**
 * The blob's bytes, with their size and MD5 computed while they stream; check() applies the
 * verdict (domain/verdict.ts) to them and refuses what the policy refuses.
 */
async function openBody(c: ContainerClient, o: Chosen, policy: Policy): Promise<ReadBody> {
  const base = c.getBlobClient(o.blob);
  const blob = o.versionId ? base.withVersion(o.versionId) : base;
  const resp = await blob.download(0, undefined, {
    maxRetryRequests: 5,
    // The blob a sync run replaces during the restore is reported, not mixed with the new one.
    conditions: o.etag ? { ifMatch: o.etag } : undefined,
  });
  const stream = resp.readableStreamBody;
  const h = createHash("md5");
  let n = 0;
  let digest: string | undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    if (!stream) return;
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      h.update(b);
      n += b.length;
      yield b;
    }
  }
  const md5 = () => (digest ??= h.digest("hex"));
  let result: VerdictResult | undefined;
  return {
    chunks: chunks(),
    md5,
    bytesRead: () => n,
    verdict: () => result,
    check() {
      result = contentVerdict(factsOf(o), { size: n, md5: md5() });
      if (result.verdict === "mismatch" && !policy.acceptMismatch)
        throw new ContentRefused("mismatch", result.reason);
      if (result.verdict === "unverified" && policy.strict)
        throw new ContentRefused("unverified", result.reason);
    },
  };
}

/**
 * Hex MD5 of an object's bytes: its trusted MD5 (a consistent content record), or computed by
 * reading the blob. Throws ContentRefused when the read is short (a mismatch).
 */
async function blobMd5(c: ContainerClient, o: Chosen): Promise<string> {
  const want = expectedContent(factsOf(o));
  if (want.trusted && want.md5 !== undefined) return want.md5;
  const body = await openBody(c, o, {});
  // reading computes the digest
  for await (const chunk of body.chunks) void chunk;
  body.check();
  return body.md5();
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

const errText = (e: unknown) =>
  e instanceof Error ? e.message.split("\n")[0] : String(e).split("\n")[0];

function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Refuses a restore that would write into the source bucket without in-place confirmation. */
export function checkSafety(o: {
  target: Target;
  sourceBucket?: string;
  /** Every other bucket known to be a source (stack output, the vault's status/): never a target. */
  otherSourceBuckets?: string[];
  inPlace?: boolean;
  confirmed?: boolean;
  dryRun?: boolean;
}): void {
  if (o.target.kind !== "s3") {
    if (o.inPlace)
      throw new RestoreRefused("--in-place restores into the source bucket, not a directory");
    return;
  }
  if (o.sourceBucket === undefined)
    throw new RestoreRefused(
      "cannot tell which bucket the backup reads from: pass --source-bucket <name> (or --stack), so the restore can refuse to write into it",
    );
  const intoSource =
    o.target.bucket === o.sourceBucket || (o.otherSourceBuckets ?? []).includes(o.target.bucket!);
  if (o.inPlace && !intoSource)
    throw new RestoreRefused(
      `--in-place writes into the source bucket ${o.sourceBucket}, not ${o.target.bucket}`,
    );
  if (intoSource && !o.inPlace)
    throw new RestoreRefused(
      `${o.target.label} is in the source bucket of the backup; a restore never writes there unless you give --in-place (then it shows a dry run first and writes only with --yes-overwrite-source)`,
    );
  if (intoSource && !o.confirmed && !o.dryRun)
    throw new RestoreRefused(
      "an in-place restore writes only with --yes-overwrite-source, after you have read its dry run",
    );
}

export async function restore(opts: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const { container: c, target } = opts;
  checkSafety(opts);
  const inPlaceWrite = opts.inPlace === true && opts.confirmed === true;
  const overwrite = opts.overwrite === true || inPlaceWrite;
  const sel = await selectObjects(c, { prefix: opts.prefix, at: opts.at });
  const report: RestoreReport = {
    target: target.label,
    at: opts.at === undefined ? undefined : formatInstant(opts.at),
    dryRun: opts.dryRun === true,
    selected: sel.chosen.length,
    selectedBytes: sel.chosen.reduce((s, o) => s + o.size, 0),
    toCopy: 0,
    toCopyBytes: 0,
    restored: 0,
    restoredBytes: 0,
    alreadyPresent: 0,
    different: [],
    notAtTime: sel.notAtTime.length,
    notAtTimeSample: sel.notAtTime.slice(0, SAMPLE),
    unwritable: [],
    unavailable: sel.unavailable,
    refusedNames: sel.refusedNames,
    verified: 0,
    mismatches: [],
    unverified: [],
    failed: [],
    notes: sel.notes,
    interrupted: false,
    durationSeconds: 0,
    exitCode: 0,
  };
  const finish = () => {
    report.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
    const refused = [...report.mismatches, ...report.unverified].some((k) => !k.restored);
    report.exitCode = refused
      ? RESTORE_EXIT.mismatch
      : report.failed.length || report.interrupted || (report.different.length && !overwrite)
        ? RESTORE_EXIT.failure
        : report.unwritable.length || report.unavailable.length || report.refusedNames.length
          ? RESTORE_EXIT.partial
          : RESTORE_EXIT.ok;
    return report;
  };

  // Keys the target cannot hold are reported, never skipped silently.
  const unwritable = target.unwritable(sel.chosen.map((o) => o.key));
  for (const [key, reason] of unwritable) report.unwritable.push({ key, reason });
  const writable = sel.chosen.filter((o) => !unwritable.has(o.key));

  // Plan against the target: one listing, then a content comparison only where sizes match
  // but the ETag cannot tell (multipart uploads, SSE-KMS, a directory). The vault's side is the
  // MD5 of a consistent content record, or else the MD5 of the blob's bytes, read (an older
  // blob's Content-MD5 may be a source ETag).
  const existing = await target.existing(opts.prefix ?? "");
  const toCopy: Chosen[] = [];
  const concurrency = opts.concurrency ?? 8;
  await pool(writable, concurrency, async (o) => {
    const there = existing.get(o.key);
    if (!there) {
      toCopy.push(o);
      return;
    }
    try {
      let same = false;
      if (there.size === o.size) {
        const want = await blobMd5(c, o);
        same = there.etag === want || (await target.contentMd5(o.key)) === want;
      }
      if (same) report.alreadyPresent++;
      else {
        report.different.push({
          key: o.key,
          reason:
            there.size === o.size
              ? "the target holds different content of the same size"
              : `the target holds ${there.size} bytes, the vault ${o.size}`,
        });
        toCopy.push(o);
      }
    } catch (e) {
      if (!(e instanceof ContentRefused))
        report.failed.push({ key: o.key, reason: `comparing with the target: ${errText(e)}` });
      else if (opts.acceptMismatch) {
        // Nothing to compare with: the copy is read (and judged) again when it is written.
        report.different.push({ key: o.key, reason: `cannot compare: ${e.reason}` });
        toCopy.push(o);
      } else report.mismatches.push({ key: o.key, reason: e.reason, restored: false });
    }
  });
  toCopy.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  report.different.sort((a, b) => (a.key < b.key ? -1 : 1));
  report.toCopy = toCopy.length;
  report.toCopyBytes = toCopy.reduce((s, o) => s + o.size, 0);
  if (opts.dryRun) return finish();
  if (report.different.length && !overwrite) {
    report.notes.push(
      `refused: the target holds ${report.different.length} different object(s) under keys to restore; nothing was written (pass --overwrite to replace them, or restore elsewhere)`,
    );
    return finish();
  }

  let lastProgress = Date.now();
  const every = opts.progressIntervalMs ?? 2000;
  let written = 0;
  let done = 0;
  const policy: Policy = { strict: opts.strict, acceptMismatch: opts.acceptMismatch };
  await pool(toCopy, concurrency, async (o) => {
    if (opts.stopAfter !== undefined && written >= opts.stopAfter) {
      report.interrupted = true;
      return;
    }
    try {
      const body = await openBody(c, o, policy);
      await target.write(o.key, o.size, o.headers, body, opts.overwrite === true || inPlaceWrite);
      const verdict = body.verdict();
      if (verdict === undefined)
        throw new Error("the target committed the bytes without checking them");
      const read = body.bytesRead();
      const size = await target.sizeOf(o.key);
      if (size !== read) {
        report.mismatches.push({
          key: o.key,
          reason: `the target holds ${size ?? "no"} bytes after the copy of ${read}`,
          restored: false,
        });
        return;
      }
      written++;
      report.restored++;
      report.restoredBytes += read;
      if (verdict.verdict === "verified") report.verified++;
      else if (verdict.verdict === "unverified")
        report.unverified.push({ key: o.key, reason: verdict.reason, restored: true });
      else report.mismatches.push({ key: o.key, reason: verdict.reason, restored: true });
    } catch (e) {
      if (e instanceof ContentRefused)
        (e.verdict === "mismatch" ? report.mismatches : report.unverified).push({
          key: o.key,
          reason: e.reason,
          restored: false,
        });
      else if ((e as { statusCode?: number }).statusCode === 412)
        report.failed.push({
          key: o.key,
          reason: "the blob changed in the vault during the restore (a sync run?); run again",
        });
      else report.failed.push({ key: o.key, reason: errText(e) });
    }
    done++;
    if (opts.progress && Date.now() - lastProgress >= every) {
      lastProgress = Date.now();
      opts.progress(
        `restore: ${done}/${toCopy.length} objects, ${fmtBytes(report.restoredBytes)} of ${fmtBytes(report.toCopyBytes)}`,
      );
    }
  });
  for (const list of [report.mismatches, report.unverified, report.failed])
    list.sort((a, b) => (a.key < b.key ? -1 : 1));
  return finish();
}

/** The report, for people: one summary line, then the reported keys with reasons. */
export function formatReport(r: RestoreReport, limit = 50): string {
  const lines: string[] = [];
  const at = r.at ? ` as at ${r.at}` : "";
  if (r.dryRun) {
    lines.push(
      `dry run: would restore ${r.toCopy} objects (${fmtBytes(r.toCopyBytes)}) of ${r.selected} (${fmtBytes(r.selectedBytes)})${at} into ${r.target}; ${r.alreadyPresent} already there; nothing written`,
    );
  } else {
    const despite = r.mismatches.filter((m) => m.restored).length;
    lines.push(
      `restored ${r.restored} objects (${fmtBytes(r.restoredBytes)}) of ${r.selected}${at} into ${r.target} in ${r.durationSeconds} s (${r.verified} verified, ${r.unverified.filter((u) => u.restored).length} unverified${despite ? `, ${despite} despite a mismatch` : ""}); ${r.alreadyPresent} already there; ${r.mismatches.length} mismatches; ${r.failed.length} failed`,
    );
  }
  if (r.notAtTime) lines.push(`${r.notAtTime} objects did not exist at that time (not restored)`);
  const section = (title: string, list: KeyReason[]) => {
    if (!list.length) return;
    lines.push(`${title} (${list.length}):`);
    for (const k of list.slice(0, limit)) lines.push(`  ${JSON.stringify(k.key)}: ${k.reason}`);
    if (list.length > limit) lines.push(`  ... and ${list.length - limit} more (--json lists all)`);
  };
  section(
    r.dryRun ? "would replace (different in the target)" : "different in the target",
    r.different,
  );
  section("not restored: the target cannot hold these keys", r.unwritable);
  section("not restored: the vault cannot serve these copies as they are", r.unavailable);
  section(
    "REFUSED: blob names the backup engine never writes (someone else put them in the vault; not restored)",
    r.refusedNames.map((b) => ({ key: b.blob, reason: b.reason })),
  );
  section(
    "MISMATCH (not restored)",
    r.mismatches.filter((m) => !m.restored),
  );
  section(
    "MISMATCH, restored anyway (--accept-mismatch)",
    r.mismatches.filter((m) => m.restored),
  );
  section(
    "UNVERIFIED, not restored (--strict)",
    r.unverified.filter((u) => !u.restored),
  );
  section(
    "unverified, restored (nothing trustworthy to check their bytes against)",
    r.unverified.filter((u) => u.restored),
  );
  section("failed", r.failed);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.mismatches.some((m) => !m.restored))
    lines.push(
      "note: bytes that differ from their content record were not restored: restore that key from another copy (--at), or give --accept-mismatch to restore them as the vault holds them",
    );
  if (r.interrupted) lines.push("stopped before the end; run the same command again to resume");
  return lines.join("\n");
}

export interface RestorePoints {
  runs: { runId: string; started: string; finished: string; outcome: string; mode: string }[];
  versions: boolean;
  /** The oldest and newest copy of any object under data/ and archive/. */
  oldest?: string;
  newest?: string;
  archiveRuns: string[];
  objects: number;
}

/** What --at can ask for: the runs the vault records and the range its copies cover. */
export async function restorePoints(c: ContainerClient, prefix = ""): Promise<RestorePoints> {
  const [runs, history] = await Promise.all([runSummaries(c), listHistory(c, prefix)]);
  let oldest: Instant | undefined;
  let newest: Instant | undefined;
  const keys = new Set<string>();
  const see = (t: Instant) => {
    if (oldest === undefined || t < oldest) oldest = t;
    if (newest === undefined || t > newest) newest = t;
  };
  for (const d of history.data) {
    const key = decodeBlobName(d.name.slice(VAULT_FOLDERS.data.length));
    if (!under(key, prefix)) continue;
    keys.add(key);
    see(d.versionId ? (parseInstant(d.versionId) ?? 0n) : instantOfDate(d.properties.lastModified));
  }
  const archiveRuns = new Set<string>();
  for (const a of history.archive) {
    const p = splitArchiveName(a.name);
    if (!p || !under(decodeBlobName(p.name), prefix)) continue;
    archiveRuns.add(p.runId);
    for (const s of [segmentFromArchive(a)]) see(s.from);
  }
  return {
    runs: runs.map((r) => ({
      runId: r.runId,
      started: r.started,
      finished: r.finished,
      outcome: r.outcome,
      mode: r.mode,
    })),
    versions: history.versions,
    oldest: oldest === undefined ? undefined : formatInstant(oldest),
    newest: newest === undefined ? undefined : formatInstant(newest),
    archiveRuns: [...archiveRuns].sort(),
    objects: keys.size,
  };
}

export function formatPoints(p: RestorePoints): string {
  const lines = [
    `${p.objects} objects; copies from ${p.oldest ?? "-"} to ${p.newest ?? "-"} (${p.versions ? "blob versions" : "no blob versions listed: current copies and archive/ only"})`,
    `--at accepts any ISO time (UTC); each object comes back as the vault held it then.`,
  ];
  if (p.runs.length) {
    lines.push("runs recorded in status/ (a finished time is a consistent point):");
    for (const r of p.runs)
      lines.push(`  ${r.finished ?? "?"}  ${r.outcome.padEnd(8)} ${r.mode}  run ${r.runId}`);
  } else lines.push("no run summaries in status/");
  if (p.archiveRuns.length)
    lines.push(`archive/ holds copies replaced or deleted by runs: ${p.archiveRuns.join(", ")}`);
  return lines.join("\n");
}
