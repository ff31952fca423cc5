// Point in time: which copy of an object the vault held at a time T. Pure functions over what a
// List Blobs answer says (no I/O), so every rule is unit-tested without Azure.
//
// Sources of history:
// - Blob versions (include=versions): every write to data/<name> creates a version whose
//   versionId is its creation time; it stays the object's content until the next version.
//   Deleting the blob turns the current version into a previous one and leaves no current
//   version; Azure records no deletion time for that, so such an object is restored as its last
//   version, with a note, unless a deletion time is known (a soft-deleted base blob's deletedOn,
//   or mirror mode's archive copy, which is written at the moment of the deletion).
// - A version that was itself deleted (deleted=true) is soft-deleted: its content exists but
//   cannot be read until it is undeleted. If it is the copy for T, the object is reported.
// - Mirror mode's archive/<runId>/<name>: the content data/<name> held until that run replaced
//   or deleted it. It counts from the object's source modification time (its "mtime" metadata,
//   the earliest moment it can have been backed up) until the moment it was archived.
// - Without versioning (or on Azurite, which has none) the current blob counts from the time it
//   was written (its Last-Modified).
// "The vault held X at T" uses the vault's clock: a version counts from when the backup wrote it.

/** Nanoseconds since the epoch. Version ids and run ids carry 7 and 9 fractional digits. */
export type Instant = bigint;

/** Parses an ISO 8601 UTC time ("2026-11-25T16:00:00.1234567Z", "...+00:00", a run id
 * "20261125T160000.123456789Z") exactly, to the nanosecond; undefined if it is not one. */
export function parseInstant(text: string): Instant | undefined {
  const m =
    /^(\d{4})-?(\d\d)-?(\d\d)T(\d\d):?(\d\d)(?::?(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]00:?00)$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, s ? +s : 0);
  if (Number.isNaN(ms)) return undefined;
  const check = new Date(ms);
  if (
    check.getUTCDate() !== +d ||
    check.getUTCHours() !== +h ||
    check.getUTCMinutes() !== +mi ||
    check.getUTCSeconds() !== (s ? +s : 0)
  )
    return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((frac ?? "").padEnd(9, "0"));
}

export function instantOfDate(d: Date): Instant {
  return BigInt(d.getTime()) * 1_000_000n;
}

/** ISO text of an instant, with nanoseconds when it has them. */
export function formatInstant(t: Instant): string {
  const ms = t / 1_000_000n;
  const ns = t % 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return ns === 0n ? iso : `${iso.slice(0, -1)}${String(ns).padStart(6, "0")}Z`;
}

/** One item of a List Blobs answer (the fields of @azure/storage-blob's BlobItem we use). */
export interface ListedBlob {
  name: string;
  deleted?: boolean;
  versionId?: string;
  isCurrentVersion?: boolean;
  /** include=deletedwithversions: the base blob is deleted and only versions remain. */
  hasVersionsOnly?: boolean;
  properties: {
    lastModified: Date;
    etag?: string;
    createdOn?: Date;
    deletedOn?: Date;
    contentLength?: number;
    contentMD5?: Uint8Array;
    contentType?: string;
    contentEncoding?: string;
    contentLanguage?: string;
    contentDisposition?: string;
    cacheControl?: string;
  };
  metadata?: Record<string, string>;
}

/** A copy of an object the vault holds, and when it was the object's content. */
export interface Segment {
  /** The blob to read: its full name in the container and, for a version, its id. */
  blob: string;
  versionId?: string;
  from: Instant;
  /** Exclusive end; "open": still current; "unknown": deleted at a time nobody recorded. */
  until: Instant | "open" | "unknown";
  /** Why this copy cannot be read as it is (a soft-deleted version), if it cannot. */
  unavailable?: string;
  kind: "current" | "version" | "archive";
  item: ListedBlob;
}

export type Pick =
  | { kind: "restore"; segment: Segment; note?: string }
  | { kind: "absent"; reason: string }
  | { kind: "unavailable"; segment: Segment; reason: string };

/** The time an "mtime" metadata value (rclone's, RFC 3339 with nanoseconds) stands for. */
function mtimeOf(item: ListedBlob): Instant | undefined {
  const m = Object.entries(item.metadata ?? {}).find(([k]) => k.toLowerCase() === "mtime");
  return m ? parseInstant(m[1]) : undefined;
}

/**
 * The segments of one data/ blob from its List Blobs items (versions, the current version,
 * soft-deleted entries), in any order.
 */
export function segmentsFromVersions(items: ListedBlob[]): Segment[] {
  const versions = items
    .filter((i) => i.versionId !== undefined)
    .map((i) => ({ i, at: parseInstant(i.versionId!) }))
    .filter((v): v is { i: ListedBlob; at: Instant } => v.at !== undefined)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const plain = items.filter((i) => i.versionId === undefined);
  // A soft-deleted base blob says when the blob was deleted.
  const deletedOn = plain
    .filter((i) => i.deleted && i.properties.deletedOn)
    .map((i) => instantOfDate(i.properties.deletedOn!))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .pop();
  const out: Segment[] = [];
  versions.forEach(({ i, at }, n) => {
    const next = versions[n + 1];
    let until: Segment["until"];
    if (next) until = next.at;
    else if (i.isCurrentVersion && !i.deleted) until = "open";
    else until = deletedOn !== undefined && deletedOn >= at ? deletedOn : "unknown";
    out.push({
      blob: i.name,
      versionId: i.versionId,
      from: at,
      until,
      kind: i.isCurrentVersion ? "current" : "version",
      item: i,
      unavailable: i.deleted
        ? `version ${i.versionId} is soft-deleted; undelete it (az storage blob undelete) and run again`
        : undefined,
    });
  });
  if (versions.length === 0) {
    for (const i of plain) {
      const from = instantOfDate(i.properties.createdOn ?? i.properties.lastModified);
      // Without versioning, the current content was written at Last-Modified.
      const written = instantOfDate(i.properties.lastModified);
      out.push({
        blob: i.name,
        from: written > from ? written : from,
        until: i.deleted
          ? i.properties.deletedOn
            ? instantOfDate(i.properties.deletedOn)
            : "unknown"
          : "open",
        kind: "current",
        item: i,
        unavailable: i.deleted
          ? "the blob is soft-deleted; undelete it (az storage blob undelete) and run again"
          : undefined,
      });
    }
  }
  return out;
}

/** The segment of one archive/<runId>/<name> blob (mirror mode). */
export function segmentFromArchive(item: ListedBlob): Segment {
  const archivedAt = instantOfDate(item.properties.lastModified);
  const mtime = mtimeOf(item);
  return {
    blob: item.name,
    versionId: item.versionId,
    from: mtime !== undefined && mtime <= archivedAt ? mtime : archivedAt,
    until: archivedAt,
    kind: "archive",
    item,
  };
}

const RANK: Record<Segment["kind"], number> = { current: 2, version: 1, archive: 0 };

/**
 * The copy of one object the vault held at T: among the segments that cover T (from <= T <
 * until), the one that started last (versions win over archive copies of the same content).
 * A segment whose deletion time is unknown covers every T after its start, with a note.
 */
export function pickAt(input: Segment[], at: Instant): Pick {
  // An archive copy made after a versioned blob's last version is the moment it was deleted.
  const segments = input.map((s) => {
    if (s.until !== "unknown") return s;
    const ends = input
      .filter((o) => o.kind === "archive" && typeof o.until === "bigint" && o.until >= s.from)
      .map((o) => o.until as Instant)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ends.length ? { ...s, until: ends[0] } : s;
  });
  const covering = segments.filter((s) => {
    if (s.from > at) return false;
    if (s.until === "open" || s.until === "unknown") return true;
    return at < s.until;
  });
  if (covering.length === 0) {
    const first = segments.reduce<Instant | undefined>(
      (m, s) => (m === undefined || s.from < m ? s.from : m),
      undefined,
    );
    if (first === undefined) return { kind: "absent", reason: "no copy in the vault" };
    if (at < first)
      return {
        kind: "absent",
        reason: `not in the vault yet at that time (first copy ${formatInstant(first)})`,
      };
    return { kind: "absent", reason: "deleted before that time" };
  }
  covering.sort((a, b) =>
    a.from !== b.from ? (a.from < b.from ? 1 : -1) : RANK[b.kind] - RANK[a.kind],
  );
  const best = covering[0];
  if (best.unavailable) return { kind: "unavailable", segment: best, reason: best.unavailable };
  return best.until === "unknown"
    ? {
        kind: "restore",
        segment: best,
        note: `deleted from the vault after ${formatInstant(best.from)} at a time Azure does not record; restored as its last version`,
      }
    : { kind: "restore", segment: best };
}
