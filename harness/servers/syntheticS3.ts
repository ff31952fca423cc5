// The S3 side of the synthetic listing server: ListObjectsV2 (path style, GET /<bucket>?list-type=2)
// over the generated bucket, in S3's XML. It checks requests as S3 does where that matters to a
// client: a SigV4 Authorization header for s3 and x-amz-content-sha256 must be present (the
// signature itself is NOT verified), the bucket must exist, x-amz-expected-bucket-owner must
// name the owner, max-keys must be a whole number (S3 answers at most 1,000 keys a page), and
// encoding-type must be "url" if given. Anything but a listing is answered 501 NotImplemented.
// Shapes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
import { xmlEscape } from "./common";
import type { KeySpace } from "./syntheticKeys";
import {
  decodeResume,
  encodeResume,
  listPage,
  type Namespace,
  type Resume,
} from "./syntheticPages";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** A listing page: how many entries (keys or blobs, and common prefixes) it returned. */
  items?: number;
}

export interface S3Options {
  bucket: string;
  region: string;
  /** The owning account; a request naming another in x-amz-expected-bucket-owner gets 403. */
  bucketOwner?: string;
}

const MAX_KEYS = 1000;
const SIGV4_S3 =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/s3\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

let requestSerial = 0;

function requestId(): string {
  requestSerial++;
  return requestSerial.toString(16).toUpperCase().padStart(16, "0");
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/xml",
    "x-amz-request-id": requestId(),
    "x-amz-id-2": "c3ludGhldGljLWxpc3Rpbmctc2VydmVy",
    server: "AmazonS3",
    ...extra,
  };
}

/** An S3 error answer (no body for HEAD). */
export function s3Error(method: string, status: number, code: string, message: string): Reply {
  const id = requestId();
  return {
    status,
    headers: { ...headers(), "x-amz-request-id": id },
    body:
      method === "HEAD"
        ? ""
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${id}</RequestId><HostId>c3ludGhldGljLWxpc3Rpbmctc2VydmVy</HostId></Error>`,
  };
}

/** What S3 answers a throttled request (the fault the retry tests inject). */
export function slowDown(method: string): Reply {
  return s3Error(method, 503, "SlowDown", "Please reduce your request rate.");
}

/**
 * S3's encoding-type=url: every UTF-8 byte percent-encoded but the unreserved characters and
 * '/', so a space is %20 and '+' is %2B (botocore decodes with unquote_plus; both round-trip).
 */
export function s3UrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/%2F/g, "/")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function escapeIfNeeded(s: string): string {
  return /[&<>"]/.test(s) ? xmlEscape(s) : s;
}

function isoTime(epoch: number): string {
  return new Date(epoch * 1000).toISOString();
}

/** Who may list: the checks S3 makes before it looks at the listing's parameters. */
export function s3Refusal(
  opts: S3Options,
  method: string,
  pathname: string,
  hdrs: Record<string, string | string[] | undefined>,
): Reply | undefined {
  const auth = String(hdrs.authorization ?? "");
  if (!auth) return s3Error(method, 403, "AccessDenied", "Access Denied");
  if (!SIGV4_S3.test(auth))
    return s3Error(
      method,
      400,
      "AuthorizationHeaderMalformed",
      "The authorization header is malformed; expected AWS4-HMAC-SHA256 for service s3.",
    );
  if (!hdrs["x-amz-content-sha256"])
    return s3Error(
      method,
      400,
      "InvalidRequest",
      "Missing required header for this request: x-amz-content-sha256",
    );
  const bucket = decodeURIComponent(pathname.split("/")[1] ?? "");
  if (bucket !== opts.bucket)
    return s3Error(method, 404, "NoSuchBucket", "The specified bucket does not exist");
  const expected = hdrs["x-amz-expected-bucket-owner"];
  if (opts.bucketOwner && expected !== undefined && expected !== opts.bucketOwner)
    return s3Error(method, 403, "AccessDenied", "Access Denied");
  return undefined;
}

/** Whether this request is a bucket listing (GET /<bucket> or /<bucket>/). */
export function isS3Listing(method: string, pathname: string): boolean {
  return method === "GET" && /^\/[^/]+\/?$/.test(pathname);
}

export function s3ListObjectsV2(opts: S3Options, space: KeySpace, query: URLSearchParams): Reply {
  if (query.get("list-type") !== "2")
    return s3Error("GET", 501, "NotImplemented", "This server answers ListObjectsV2 only.");
  const encoding = query.get("encoding-type");
  if (encoding !== null && encoding !== "url")
    return s3Error("GET", 400, "InvalidArgument", "Invalid Encoding Method specified in Request");
  const maxText = query.get("max-keys");
  const asked = maxText === null ? MAX_KEYS : Number(maxText);
  if (!Number.isInteger(asked) || asked < 0)
    return s3Error(
      "GET",
      400,
      "InvalidArgument",
      "Provided max-keys not an integer or within integer range",
    );
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") ?? "";
  const startAfter = query.get("start-after") ?? undefined;
  const token = query.get("continuation-token") ?? undefined;
  let resume: Resume | undefined = startAfter !== undefined ? { after: startAfter } : undefined;
  if (token !== undefined) {
    resume = decodeResume(token);
    if (resume === undefined)
      return s3Error("GET", 400, "InvalidArgument", "The continuation token provided is incorrect");
  }
  const ns: Namespace = {
    size: space.size,
    name: (i) => space.key(i),
    present: () => true,
  };
  const max = Math.min(asked, MAX_KEYS);
  const page = listPage(ns, { prefix, delimiter, resume, max });
  const enc = encoding === "url" ? s3UrlEncode : escapeIfNeeded;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${opts.bucket}</Name><Prefix>${enc(prefix)}</Prefix>`,
  ];
  if (startAfter !== undefined && token === undefined)
    out.push(`<StartAfter>${enc(startAfter)}</StartAfter>`);
  if (token !== undefined) out.push(`<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`);
  if (page.truncated && page.next)
    out.push(`<NextContinuationToken>${encodeResume(page.next)}</NextContinuationToken>`);
  out.push(`<KeyCount>${page.items.length}</KeyCount><MaxKeys>${max}</MaxKeys>`);
  if (delimiter) out.push(`<Delimiter>${enc(delimiter)}</Delimiter>`);
  if (encoding === "url") out.push("<EncodingType>url</EncodingType>");
  out.push(`<IsTruncated>${page.truncated}</IsTruncated>`);
  const prefixes: string[] = [];
  for (const item of page.items) {
    if ("prefix" in item) {
      prefixes.push(`<CommonPrefixes><Prefix>${enc(item.prefix)}</Prefix></CommonPrefixes>`);
      continue;
    }
    const o = space.object(item.pos);
    out.push(
      `<Contents><Key>${enc(o.key)}</Key><LastModified>${isoTime(o.mtime)}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.size}</Size><StorageClass>${o.storageClass}</StorageClass></Contents>`,
    );
  }
  out.push(...prefixes, "</ListBucketResult>");
  return {
    status: 200,
    headers: headers({ "x-amz-bucket-region": opts.region }),
    body: out.join(""),
    items: page.items.length,
  };
}
