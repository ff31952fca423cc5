// One page of a listing over a sorted, generated namespace: what S3's ListObjectsV2 and Azure's
// List Blobs share (a prefix, an optional delimiter that rolls names up into common prefixes, a
// position to resume after, a page size). Positions are found by binary search, so a page costs
// O(page + log N) whatever N is.
import { compareNames, lowerBound } from "./syntheticKeys";

/** Names in UTF-8 byte order at positions 0..size-1; an absent position is skipped. */
export interface Namespace {
  size: number;
  name(pos: number): string;
  present(pos: number): boolean;
}

/** Where the next page starts: after a name, or past every name under a common prefix. */
export type Resume = { after: string } | { pastPrefix: string };

export interface PageQuery {
  prefix: string;
  /** "" for none. */
  delimiter: string;
  resume?: Resume;
  max: number;
}

export type PageItem = { pos: number } | { prefix: string };

export interface Page {
  items: PageItem[];
  /** More names (or common prefixes) follow; `next` resumes after this page's last item. */
  truncated: boolean;
  next?: Resume;
}

function firstAfter(ns: Namespace, name: string): number {
  return lowerBound(ns.size, (i) => compareNames(ns.name(i), name) <= 0);
}

function pastPrefix(ns: Namespace, prefix: string): number {
  return lowerBound(ns.size, (i) => {
    const n = ns.name(i);
    return compareNames(n, prefix) < 0 || n.startsWith(prefix);
  });
}

export function listPage(ns: Namespace, q: PageQuery): Page {
  let pos = lowerBound(ns.size, (i) => compareNames(ns.name(i), q.prefix) < 0);
  if (q.resume !== undefined) {
    const r = q.resume;
    pos = Math.max(pos, "after" in r ? firstAfter(ns, r.after) : pastPrefix(ns, r.pastPrefix));
  }
  const items: PageItem[] = [];
  let next: Resume | undefined;
  if (q.max <= 0) return { items, truncated: false };
  // Names under the prefix are contiguous: the walk ends at the first one that is not.
  while (pos < ns.size) {
    const name = ns.name(pos);
    if (!name.startsWith(q.prefix)) break;
    if (!ns.present(pos)) {
      pos++;
      continue;
    }
    if (items.length === q.max) return { items, truncated: true, next };
    const cut = q.delimiter ? name.indexOf(q.delimiter, q.prefix.length) : -1;
    if (cut >= 0) {
      const common = name.slice(0, cut + q.delimiter.length);
      items.push({ prefix: common });
      next = { pastPrefix: common };
      pos = pastPrefix(ns, common);
    } else {
      items.push({ pos });
      next = { after: name };
      pos++;
    }
  }
  return { items, truncated: false };
}

/** An opaque continuation token / marker for a resume point (base64, like the services'). */
export function encodeResume(r: Resume): string {
  const text = "after" in r ? `k\n${r.after}` : `p\n${r.pastPrefix}`;
  return Buffer.from(text, "utf8").toString("base64");
}

/** The resume point of a token this server issued, or undefined for anything else. */
export function decodeResume(token: string): Resume | undefined {
  const text = Buffer.from(token, "base64").toString("utf8");
  const r: Resume | undefined = text.startsWith("k\n")
    ? { after: text.slice(2) }
    : text.startsWith("p\n")
      ? { pastPrefix: text.slice(2) }
      : undefined;
  return r !== undefined && encodeResume(r) === token ? r : undefined;
}

/** Every `1/fraction`-th request, evenly spread (never two in a row below one half). */
export function injectFault(requestNumber: number, fraction: number): boolean {
  return (
    fraction > 0 &&
    Math.floor(requestNumber * fraction) > Math.floor((requestNumber - 1) * fraction)
  );
}
