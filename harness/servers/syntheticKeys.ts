// The synthetic bucket behind harness/servers/syntheticListing.ts: N objects generated from a
// seed, never held in memory. Key i is a monotonic function of i (segments in UTF-8 byte order,
// fixed-width numbers inside each), so a listing position is found by binary search over i.
//
// The key space is skewed like a real application bucket: about 75% of the keys sit under one
// deep prefix (warehouse/events/...), 24% under another (logs/app/...), a few under small
// prefixes, and a handful have non-ASCII names (Latin-1, CJK, fullwidth letters above the UTF-16
// surrogates, and an emoji beyond the BMP, which JavaScript's own string order puts in the wrong
// place), spaces, '+' and '&'. A partitioned lister has to adapt to that skew to stay parallel.
//
// Every key is one the engine backs up under its own name (ccb/names.py key_problem is None and
// blob_name(key) == key), so the vault's blob for key i is data/<key i>.

export interface Segment {
  /** Objects for this segment: a fixed count (taken first), or a share of N. */
  fixed?: number;
  share?: number;
  key(j: number): string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** In UTF-8 byte order; the segment without a count takes what the others leave. */
export const SEGMENTS: readonly Segment[] = [
  { fixed: 3, key: (j) => `_manifest & index-${pad(j, 2)}.json` },
  { share: 0.005, key: (j) => `assets/img-${pad(j, 8)}.png` },
  {
    share: 0.24,
    key: (j) => `logs/app/host-${pad(Math.floor(j / 5000), 5)}/${pad(j, 10)}.log.gz`,
  },
  { fixed: 5, key: (j) => `r\u00e9sum\u00e9s/cv ${pad(j, 3)}.pdf` },
  { share: 0.001, key: (j) => `tmp/scratch+${pad(j, 7)} copy.txt` },
  {
    key: (j) =>
      `warehouse/events/year=2025/dt=${pad(Math.floor(j / 5000), 5)}/part-${pad(j, 10)}.snappy.parquet`,
  },
  { fixed: 3, key: (j) => `\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb-${pad(j, 2)}.txt` },
  { fixed: 3, key: (j) => `\uff57\uff49\uff44\uff45/${pad(j, 2)}.txt` },
  { fixed: 3, key: (j) => `\u{1F4E6}/${pad(j, 2)}.bin` },
];

/**
 * Compares two strings in Unicode code point order, which is UTF-8 byte order (S3's and
 * Azure's). JavaScript's `<` compares UTF-16 code units and puts U+E000..U+FFFF after
 * supplementary characters; this shifts surrogates above them first.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** murmur3's 32-bit finaliser: a cheap, well-mixed hash of one integer. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic 32-bit value for (seed, index, salt). */
export function hash32(seed: number, i: number, salt: number): number {
  return fmix((i ^ fmix(Math.imul(seed, 0x9e3779b1) + Math.imul(salt, 0x7feb352d))) >>> 0);
}

function hex32(seed: number, i: number, salt: number): string {
  let out = "";
  for (let k = 0; k < 4; k++)
    out += hash32(seed, i, salt * 4 + k)
      .toString(16)
      .padStart(8, "0");
  return out;
}

/** 2025-01-01T00:00:00Z: every generated LastModified falls in the year after it. */
const BASE_EPOCH = 1_735_689_600;
const DAY = 86_400;

export interface SyntheticObject {
  key: string;
  size: number;
  /** LastModified, whole seconds since the epoch. */
  mtime: number;
  /** The ETag without its quotes (32 hex digits, or "<hex>-<parts>" for a multipart upload). */
  etag: string;
  /** The MD5 of the bytes, hex (what the vault's Content-MD5 and content record hold). */
  md5: string;
  storageClass: string;
  sse: string;
}

export interface KeySpaceOptions {
  objects: number;
  seed: number;
  /** Percent of the keys whose source object was overwritten since the vault copied it. */
  changedPercent?: number;
  /** Percent of the keys the vault does not hold (disjoint from the changed ones). */
  missingPercent?: number;
}

export class KeySpace {
  readonly size: number;
  private readonly starts: number[] = [];
  private readonly counts: number[] = [];
  private readonly changedBelow: number;
  private readonly missingBelow: number;

  constructor(readonly opts: KeySpaceOptions) {
    this.size = opts.objects;
    let left = opts.objects;
    const counts = SEGMENTS.map((s) => {
      if (s.fixed === undefined) return 0;
      const c = Math.min(s.fixed, left);
      left -= c;
      return c;
    });
    SEGMENTS.forEach((s, k) => {
      if (s.share === undefined) return;
      counts[k] = Math.min(Math.floor(s.share * opts.objects), left);
      left -= counts[k];
    });
    counts[SEGMENTS.findIndex((s) => s.fixed === undefined && s.share === undefined)] += left;
    let start = 0;
    for (const c of counts) {
      this.starts.push(start);
      this.counts.push(c);
      start += c;
    }
    // Membership is a hash of the index below a threshold in parts per million.
    this.changedBelow = Math.round((opts.changedPercent ?? 0) * 10_000);
    this.missingBelow = this.changedBelow + Math.round((opts.missingPercent ?? 0) * 10_000);
    this.checkOrder();
  }

  /** The segments must not interleave: the last key of each sorts before the next one's first. */
  private checkOrder(): void {
    let previous: string | undefined;
    SEGMENTS.forEach((s, k) => {
      if (this.counts[k] === 0) return;
      const first = s.key(0);
      if (previous !== undefined && compareNames(previous, first) >= 0)
        throw new Error(`synthetic key space out of order: ${previous} >= ${first}`);
      previous = s.key(this.counts[k] - 1);
    });
  }

  key(i: number): string {
    let k = SEGMENTS.length - 1;
    while (i < this.starts[k]) k--;
    return SEGMENTS[k].key(i - this.starts[k]);
  }

  private member(i: number): number {
    return hash32(this.opts.seed, i, 7) % 1_000_000;
  }

  /** The source object was overwritten after the vault copied it (a new ETag and time). */
  changed(i: number): boolean {
    return this.member(i) < this.changedBelow;
  }

  /** The vault has no blob for this object. */
  missing(i: number): boolean {
    const m = this.member(i);
    return m >= this.changedBelow && m < this.missingBelow;
  }

  /** Object i as S3 lists it now (`version` 0 is the one the vault copied). */
  object(i: number, version = this.changed(i) ? 1 : 0): SyntheticObject {
    const seed = this.opts.seed;
    const h = hash32(seed, i, 1);
    const size = h % 4 === 0 ? (1 << 20) + (h % (63 << 20)) : 200 + (h % 200_000);
    const hex = hex32(seed, i, 16 + version);
    return {
      key: this.key(i),
      size,
      mtime: BASE_EPOCH + (hash32(seed, i, 2) % (300 * DAY)) + version * 30 * DAY,
      etag: h % 16 === 5 ? `${hex}-${2 + (h % 7)}` : hex,
      md5: hex32(seed, i, 32 + version),
      storageClass:
        h % 20 === 1 ? "STANDARD_IA" : h % 20 === 2 ? "INTELLIGENT_TIERING" : "STANDARD",
      sse: h % 3 === 0 ? "aws:kms" : "AES256",
    };
  }

  /** The first index whose key sorts after `name` (N when none does). */
  indexAfter(name: string): number {
    return lowerBound(this.size, (i) => compareNames(this.key(i), name) <= 0);
  }
}

/** The first i in [0, n) for which `before(i)` is false; `before` must be true then false. */
export function lowerBound(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
